#include <orders/command/event_appender.hpp>

#include <memory>

namespace orders::command {
namespace {

void AppendFrom(EventAppender& appender, std::shared_ptr<std::vector<ChainedAppend>> chain, std::size_t next,
                platform::Partition partition) {
  if (next >= chain->size()) return;
  appender.Append((*chain)[next].record, partition, [&appender, chain, next, partition](Appended appended) {
    const bool persisted = appended.outcome == AppendOutcome::kPersisted;
    (*chain)[next].done(std::move(appended));
    if (persisted) return AppendFrom(appender, chain, next + 1, partition);
    for (std::size_t later = next + 1; later < chain->size(); ++later) {
      (*chain)[later].done({AppendOutcome::kFailed, std::nullopt});
    }
  });
}

}  // namespace

void EventAppender::AppendInOrder(std::vector<ChainedAppend> chain, platform::Partition partition) {
  AppendFrom(*this, std::make_shared<std::vector<ChainedAppend>>(std::move(chain)), 0, partition);
}

}  // namespace orders::command
