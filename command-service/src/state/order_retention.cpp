#include <orders/command/order_retention.hpp>

#include <orders/domain/status.hpp>

namespace orders::command {

bool IsFinished(const domain::Order& order) { return domain::IsTerminal(order.status); }

bool MayLeaveMemory(const domain::Order& order, domain::Timestamp now, std::chrono::milliseconds retention) {
  return IsFinished(order) && order.updated_at + retention <= now;
}

}  // namespace orders::command
