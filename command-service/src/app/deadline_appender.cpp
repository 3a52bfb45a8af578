#include <orders/command/deadline_appender.hpp>

#include <atomic>
#include <memory>

namespace orders::command {

namespace {

// Whichever comes first, the delivery report or the deadline, answers; the other finds it taken.
struct OneAnswer {
  std::atomic<bool> taken{false};
  DeadlineTimer::Id deadline = 0;
  std::function<void(Appended)> done;

  bool Take() { return !taken.exchange(true); }
};

}  // namespace

std::function<void(Appended)> DeadlineAppender::Armed(std::function<void(Appended)> done) {
  auto answer = std::make_shared<OneAnswer>();
  answer->done = std::move(done);
  // Armed before the append: the inner appender may answer before Append returns.
  answer->deadline = timer_.After(deadline_, [answer, overdue = overdue_] {
    if (!answer->Take()) return;
    if (overdue) overdue->Inc();
    answer->done({AppendOutcome::kUnknown, std::nullopt});
  });
  return [this, answer](Appended appended) {
    if (!answer->Take()) return;  // answered kUnknown already; the follower folds the record if it landed
    timer_.Cancel(answer->deadline);
    answer->done(appended);
  };
}

void DeadlineAppender::Append(const codec::EventRecord& record, platform::Partition partition,
                              std::function<void(Appended)> done) {
  inner_.Append(record, partition, Armed(std::move(done)));
}

void DeadlineAppender::AppendInOrder(std::vector<ChainedAppend> chain, platform::Partition partition) {
  for (auto& link : chain) link.done = Armed(std::move(link.done));
  inner_.AppendInOrder(std::move(chain), partition);
}

}  // namespace orders::command
