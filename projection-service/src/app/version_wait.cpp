#include <orders/projection/version_wait.hpp>

#include <atomic>

namespace orders::projection {
namespace {

using Kind = VersionWaitResult::Kind;

bool Reached(const std::optional<OrderView>& view, std::int64_t min_version) {
  return view && view->order.version >= min_version;
}

}  // namespace

struct VersionWait::Pending {
  std::string order_id;
  std::int64_t min_version = 0;
  Answer answer;
  std::atomic<bool> answered{false};
  std::uint64_t waiter_id = 0;

  // The first caller answers; the others (a late wake-up, the timer) do nothing.
  void AnswerOnce(VersionWaitResult result) {
    if (!answered.exchange(true)) answer(std::move(result));
  }
};

std::shared_ptr<VersionWait> VersionWait::Create(ReadModelReader& reader, VersionWaiters& waiters, Scheduler& scheduler,
                                                 std::chrono::milliseconds max_wait) {
  return std::shared_ptr<VersionWait>(new VersionWait(reader, waiters, scheduler, max_wait));
}

void VersionWait::Start(const std::string& order_id, std::int64_t min_version, Answer answer) {
  auto pending = std::make_shared<Pending>();
  pending->order_id = order_id;
  pending->min_version = min_version;
  pending->answer = std::move(answer);
  // Register first, then look: an apply that commits in between still wakes us.
  const auto waiter_id = waiters_.Add(order_id, min_version, [self = shared_from_this(), pending] {
    self->scheduler_.Post([self, pending] { self->Recheck(pending); });
  });
  if (!waiter_id) {
    pending->AnswerOnce({Kind::kTooManyWaiting, std::nullopt});
    return;
  }
  pending->waiter_id = *waiter_id;
  auto found = reader_.FindOrder(order_id);
  if (!found || Reached(*found, min_version)) {
    waiters_.Remove(*waiter_id);
    pending->AnswerOnce(found ? VersionWaitResult{Kind::kReached, std::move(*found)}
                              : VersionWaitResult{Kind::kStoreUnavailable, std::nullopt});
    return;
  }
  scheduler_.After(max_wait_, [self = shared_from_this(), pending] {
    self->waiters_.Remove(pending->waiter_id);
    pending->AnswerOnce({Kind::kTimedOut, std::nullopt});
  });
}

void VersionWait::Recheck(const std::shared_ptr<Pending>& pending) {
  if (pending->answered.load()) return;
  auto found = reader_.FindOrder(pending->order_id);
  if (!found) {
    pending->AnswerOnce({Kind::kStoreUnavailable, std::nullopt});
  } else if (Reached(*found, pending->min_version)) {
    pending->AnswerOnce({Kind::kReached, std::move(*found)});
  } else {
    pending->AnswerOnce({Kind::kNotReached, std::nullopt});
  }
}

}  // namespace orders::projection
