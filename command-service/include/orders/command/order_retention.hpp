#pragma once
// When a finished order may leave the command side's memory (its state stays
// in the state store, where a later command or event finds it).
//
// Finished means a terminal status (delivered, cancelled: domain/status.hpp),
// and "a while ago" is measured from the order's last event (updated_at, an
// event time, so a restart does not reset it). Events can still follow a
// terminal status: a cancelled order's late payment.authorized, then its
// payment.refunded. None of them is lost by eviction: the book folds an event
// for an evicted order onto its stored state (brought back into memory), and
// the workflow is told as for any other event. The retention only keeps such
// late traffic, and the commands of the minutes after the end, off the disk.

#include <chrono>

#include <orders/domain/order.hpp>

namespace orders::command {

bool IsFinished(const domain::Order& order);

// Finished, and its last event at least `retention` before `now`.
bool MayLeaveMemory(const domain::Order& order, domain::Timestamp now, std::chrono::milliseconds retention);

}  // namespace orders::command
