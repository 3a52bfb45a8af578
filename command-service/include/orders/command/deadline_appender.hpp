#pragma once
// An EventAppender that answers within a deadline. The Kafka producer never
// gives up on a record (message.timeout.ms=0, kafka_settings.cpp): a record
// that timed out while in flight would make librdkafka 2.0.2's idempotent
// producer bump its epoch and may send batches already written a second time
// (docs/library-notes.md). So the wait a client sees is bounded here instead:
// an append still unanswered after `deadline` is answered kUnknown, which
// fences the order until the log markers settle it; the record stays queued in
// the producer and lands at most once. Its delivery report, when it comes, is
// not passed on: the log follower folds the record like another writer's.

#include <chrono>

#include <orders/command/deadline_timer.hpp>
#include <orders/command/event_appender.hpp>
#include <orders/platform/metrics.hpp>

namespace orders::command {

class DeadlineAppender : public EventAppender {
 public:
  // `overdue` counts the appends answered by the deadline (may be null).
  DeadlineAppender(EventAppender& inner, DeadlineTimer& timer, std::chrono::milliseconds deadline,
                   platform::Counter* overdue = nullptr)
      : inner_(inner), timer_(timer), deadline_(deadline), overdue_(overdue) {}

  void Append(const codec::EventRecord& record, platform::Partition partition,
              std::function<void(Appended)> done) override;
  // Each record of the chain has its own deadline.
  void AppendInOrder(std::vector<ChainedAppend> chain, platform::Partition partition) override;

 private:
  // `done`, answered kUnknown if nothing else answered it within the deadline.
  std::function<void(Appended)> Armed(std::function<void(Appended)> done);

  EventAppender& inner_;
  DeadlineTimer& timer_;
  std::chrono::milliseconds deadline_;
  platform::Counter* overdue_;
};

}  // namespace orders::command
