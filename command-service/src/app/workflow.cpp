#include <orders/command/workflow.hpp>

#include <algorithm>
#include <variant>
#include <vector>

#include <orders/codec/trace_context.hpp>
#include <orders/domain/fulfilment.hpp>
#include <orders/platform/log.hpp>

namespace orders::command {
namespace {

using domain::OrderStepKind;
using domain::StockStepKind;
using SteadyClock = std::chrono::steady_clock;

// The events the workflow appends name it as their actor (orders_actor).
const std::string kAudit = "service:workflow";
constexpr const char* kSteps[] = {"reserve", "release", "commit", "authorize", "refund", "confirm", "cancel"};

std::chrono::milliseconds Backoff(const WorkflowSettings& settings, int failures) {
  auto delay = settings.first_retry;
  for (int i = 1; i < failures && delay < settings.max_retry; ++i) delay *= 2;
  return std::min(delay, settings.max_retry);
}

// Each step of an order is tried on its own: a cancellation at the deadline
// must not wait for an authorization still in flight. Product steps are keyed
// by the product (one reservation per order and product).
std::string StepKey(const std::string& order_id, std::string_view step) { return order_id + "#" + std::string(step); }
std::string ProductKey(const std::string& order_id, const std::string& product_id) {
  return order_id + "/" + product_id;
}

bool Succeeded(const CommandResult& result) { return result.kind == CommandResult::Kind::kOk; }

}  // namespace

Workflow::Workflow(WorkflowDeps deps)
    : deps_(std::move(deps)),
      placed_to_confirmed_(deps_.metrics.AddHistogram("orders_workflow_placed_to_confirmed_seconds",
                                                      "From an order's placement to its confirmation in the log",
                                                      platform::LatencyBuckets())) {
  for (const char* step : kSteps) {
    started_[step] =
        &deps_.metrics.AddCounter("orders_workflow_steps_total", "Workflow steps started", {{"step", step}});
    failed_[step] = &deps_.metrics.AddCounter("orders_workflow_step_failures_total",
                                              "Workflow steps that failed and will be retried", {{"step", step}});
  }
  auto& waiting = deps_.metrics.AddGauge("orders_workflow_waiting_orders",
                                         "Orders the workflow watches (stock answers, payment, deadline)");
  deps_.metrics.AddCollector([this, &waiting] { waiting.Set(static_cast<double>(WaitingCount())); });
}

Workflow::~Workflow() { Stop(); }

void Workflow::Touch(const std::string& order_id) {
  {
    std::lock_guard lock(mutex_);
    if (touched_set_.insert(order_id).second) touched_.push_back(order_id);
  }
  wake_.notify_one();
}

void Workflow::Start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    bool ready = true;
    while (!stopping_) {
      if (ready) {
        wake_.wait_for(lock, deps_.settings.sweep_interval, [this] { return stopping_ || !touched_.empty(); });
      } else {
        // While the logs are replayed every folded event touches an order: look again later, not at once.
        wake_.wait_for(lock, deps_.settings.sweep_interval, [this] { return stopping_; });
      }
      if (stopping_) break;
      lock.unlock();
      ready = RunOnce();
      lock.lock();
    }
  });
}

void Workflow::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Workflow::StockReadThrough() {
  std::vector<std::string> unsure;
  {
    std::lock_guard lock(untracked_mutex_);
    for (const auto& [order_id, check] : untracked_checks_) {
      if (!check.sure) unsure.push_back(order_id);
    }
  }
  for (const auto& order_id : unsure) Touch(order_id);
}

std::size_t Workflow::WaitingCount() const {
  std::lock_guard lock(mutex_);
  return waiting_.size();
}

bool Workflow::RunOnce() {
  if (!deps_.ready()) return false;  // the touched orders stay noted until the logs are read
  std::vector<std::string> batch;
  // Handed over whole rather than cleared: clear() zeroes every bucket the set
  // ever had, and after a replay (every order of the log touched at once) that
  // is megabytes on each pass, one pass per wake-up under a steady load.
  std::unordered_set<std::string> seen;
  {
    std::lock_guard lock(mutex_);
    const auto now = SteadyClock::now();
    if (now >= next_sweep_) {
      next_sweep_ = now + deps_.settings.sweep_interval;
      for (const auto& order_id : waiting_) {
        if (touched_set_.insert(order_id).second) touched_.push_back(order_id);
      }
    }
    batch.swap(touched_);
    seen.swap(touched_set_);
  }
  for (const auto& order_id : batch) {
    const bool waits = Examine(order_id);
    std::lock_guard lock(mutex_);
    if (waits) {
      waiting_.insert(order_id);
    } else {
      waiting_.erase(order_id);
    }
  }
  return true;
}

bool Workflow::Examine(const std::string& order_id) {
  const auto order = deps_.orders.Find(order_id);
  if (!order) return false;
  // Both sides are looked at on every instance; each acts only where it writes.
  const bool order_waits = OrderSide(*order);
  const bool products_wait = ProductSide(*order);
  if (order_waits || products_wait) return true;
  // Done with it: forget the failures of steps that are no longer needed.
  std::lock_guard lock(mutex_);
  auto forget = [this](const std::string& key) {
    auto it = attempts_.find(key);
    if (it != attempts_.end() && !it->second.in_flight) attempts_.erase(it);
  };
  for (const char* step : kSteps) forget(StepKey(order_id, step));
  for (const auto& item : order->items) forget(ProductKey(order_id, item.product_id));
  ForgetUntrackedCheck(order_id);
  return false;
}

domain::OrderStep Workflow::NextStepOf(const domain::Order& order) const {
  // The answers decide a payment only while it is still to be asked for.
  const bool payment_open = order.payment.status == domain::PaymentStatus::kPending;
  std::vector<domain::ProductAnswer> answers;
  for (const auto& [product_id, quantity] : domain::QuantitiesByProduct(order)) {
    auto reservation = deps_.stocks.ReservationOf(product_id, order.order_id);
    // Not sure yet that it is untracked: as if it were tracked and had not answered.
    if (!reservation && payment_open && !UntrackedIsSure(order.order_id, product_id)) {
      reservation = domain::ReservationState::kNone;
    }
    answers.push_back({product_id, reservation});
  }
  return domain::NextOrderStep(order, answers, deps_.now(), deps_.settings.payment_timeout);
}

bool Workflow::UntrackedIsSure(const std::string& order_id, const std::string& product_id) const {
  // This instance writes the product: its stock book has every stock count (ownership waits for the log).
  if (deps_.writes_product(product_id)) return true;
  std::lock_guard lock(untracked_mutex_);
  auto& check = untracked_checks_.try_emplace(order_id, UntrackedCheck{SteadyClock::now()}).first->second;
  if (!check.sure) check.sure = deps_.stock_read_through(check.asked);
  return check.sure;
}

void Workflow::ForgetUntrackedCheck(const std::string& order_id) {
  std::lock_guard lock(untracked_mutex_);
  untracked_checks_.erase(order_id);
}

bool Workflow::OrderSide(const domain::Order& order) {
  const auto step = NextStepOf(order);
  if (step.kind == OrderStepKind::kNothing) return false;
  if (step.kind == OrderStepKind::kWait || !deps_.writes_order(order.order_id)) return true;
  switch (step.kind) {
    case OrderStepKind::kAuthorize:
      Authorize(order);
      break;
    case OrderStepKind::kRefund:
      Refund(order);
      break;
    case OrderStepKind::kConfirm:
      Move(order, domain::Status::kConfirmed, {});
      break;
    case OrderStepKind::kCancel:
      Move(order, domain::Status::kCancelled, step.reason);
      break;
    case OrderStepKind::kNothing:
    case OrderStepKind::kWait:
      break;
  }
  return true;
}

bool Workflow::ProductSide(const domain::Order& order) {
  bool waits = false;
  for (const auto& [product_id, quantity] : domain::QuantitiesByProduct(order)) {
    const auto reservation = deps_.stocks.ReservationOf(product_id, order.order_id);
    if (!reservation) continue;  // untracked: unlimited, nothing to hold
    const auto step = domain::NextStockStep(order, quantity, *reservation);
    if (step.kind == StockStepKind::kNothing) continue;
    waits = true;
    if (!deps_.writes_product(product_id)) continue;
    const std::string key = ProductKey(order.order_id, product_id);
    auto finish = [this, key](const char* name) {
      return [this, key, name](StockResult result) { Finish(key, name, result.kind == StockResult::Kind::kOk); };
    };
    switch (step.kind) {
      case StockStepKind::kReserve:
        if (Begin(key, "reserve")) {
          deps_.inventory.Reserve({product_id, order.order_id, step.quantity}, kAudit, finish("reserve"));
        }
        break;
      case StockStepKind::kRelease:
        if (Begin(key, "release")) deps_.inventory.Release({product_id, order.order_id}, kAudit, finish("release"));
        break;
      case StockStepKind::kCommit:
        if (Begin(key, "commit")) deps_.inventory.Commit({product_id, order.order_id}, kAudit, finish("commit"));
        break;
      case StockStepKind::kNothing:
        break;
    }
  }
  return waits;
}

void Workflow::Authorize(const domain::Order& order) {
  if (!Begin(StepKey(order.order_id, "authorize"), "authorize")) return;
  AuthorizationRequest request{order.order_id, order.payment.amount_cents, order.currency, order.customer_id};
  deps_.gateway.Authorize(
      std::move(request), [this, order_id = order.order_id, placed = order.created_at](AuthorizationOutcome outcome) {
        auto finish = FinishWhenAnswered(StepKey(order_id, "authorize"), "authorize");
        if (const auto* authorized = std::get_if<PaymentAuthorization>(&outcome)) {
          deps_.processor.RecordPayment(domain::RecordPaymentAuthorized{order_id, authorized->payment_id}, kAudit,
                                        std::move(finish), ConfirmRightAfter(order_id, placed));
        } else if (const auto* declined = std::get_if<PaymentDecline>(&outcome)) {
          deps_.processor.RecordPayment(domain::RecordPaymentDeclined{order_id, declined->reason}, kAudit,
                                        std::move(finish));
        } else {
          platform::LogWarn("payment authorization failed; it will be asked again",
                            {{"orderId", order_id}, {"why", std::get<PaymentFailure>(outcome).why}});
          finish({CommandResult::Kind::kUnavailable, std::nullopt, std::nullopt});
        }
      });
}

void Workflow::Refund(const domain::Order& order) {
  if (!Begin(StepKey(order.order_id, "refund"), "refund")) return;
  RefundRequest request{order.order_id, order.payment.payment_id, order.payment.amount_cents};
  deps_.gateway.Refund(std::move(request), [this, order_id = order.order_id](RefundOutcome outcome) {
    auto finish = FinishWhenAnswered(StepKey(order_id, "refund"), "refund");
    if (std::holds_alternative<PaymentRefund>(outcome)) {
      deps_.processor.RecordPayment(domain::RecordPaymentRefunded{order_id}, kAudit, std::move(finish));
    } else {
      platform::LogWarn("payment refund failed; it will be asked again",
                        {{"orderId", order_id}, {"why", std::get<PaymentFailure>(outcome).why}});
      finish({CommandResult::Kind::kUnavailable, std::nullopt, std::nullopt});
    }
  });
}

void Workflow::Move(const domain::Order& order, domain::Status to, std::string reason) {
  const char* step = to == domain::Status::kConfirmed ? "confirm" : "cancel";
  const std::string key = StepKey(order.order_id, step);
  if (!Begin(key, step)) return;
  domain::ChangeStatus command{order.order_id, to, {}, {}};
  if (!reason.empty()) command.reason = std::move(reason);
  auto finish = to == domain::Status::kConfirmed ? FinishConfirm(key, order.created_at) : FinishWhenAnswered(key, step);
  deps_.processor.MoveForWorkflow(std::move(command), kAudit, std::move(finish));
}

FollowUp Workflow::ConfirmRightAfter(const std::string& order_id, domain::Timestamp placed) {
  std::string key = StepKey(order_id, "confirm");
  if (!Claim(key)) return {};
  auto next = [this](const domain::Order& order) -> std::optional<domain::ChangeStatus> {
    if (NextStepOf(order).kind != OrderStepKind::kConfirm) return std::nullopt;
    Started(order.order_id, "confirm");
    return domain::ChangeStatus{order.order_id, domain::Status::kConfirmed, {}, {}};
  };
  return {std::move(next), FinishConfirm(std::move(key), placed)};
}

Reply Workflow::FinishConfirm(std::string key, domain::Timestamp placed) {
  return [this, finish = FinishWhenAnswered(std::move(key), "confirm"), placed](CommandResult result) {
    if (Succeeded(result) && result.order && result.order->status == domain::Status::kConfirmed) {
      placed_to_confirmed_.Observe(std::chrono::duration<double>(deps_.now() - placed).count());
    }
    finish(std::move(result));
  };
}

bool Workflow::Claim(const std::string& key) {
  std::lock_guard lock(mutex_);
  Attempt& attempt = attempts_[key];
  if (attempt.in_flight || SteadyClock::now() < attempt.not_before) return false;
  attempt.in_flight = true;
  return true;
}

bool Workflow::Begin(const std::string& key, const char* step) {
  if (!Claim(key)) return false;
  Started(key.substr(0, key.find_first_of("#/")), step);
  return true;
}

void Workflow::Started(const std::string& order_id, const char* step) {
  started_.at(step)->Inc();
  if (!platform::LogEnabled(platform::LogLevel::kDebug)) return;
  platform::LogFields fields{{"step", step}, {"orderId", order_id}};
  if (auto trace = deps_.orders.TraceOf(order_id)) fields["traceId"] = codec::TraceIdOf(*trace);
  platform::LogDebug("workflow step", fields);
}

void Workflow::Finish(const std::string& key, const char* step, bool succeeded) {
  if (!succeeded) failed_.at(step)->Inc();
  std::lock_guard lock(mutex_);
  auto it = attempts_.find(key);
  if (it == attempts_.end()) return;
  if (succeeded) {
    // Its event (if any) touches the order again through the book's listener.
    attempts_.erase(it);
    return;
  }
  Attempt& attempt = it->second;
  attempt.in_flight = false;
  ++attempt.failures;
  attempt.not_before = SteadyClock::now() + Backoff(deps_.settings, attempt.failures);
}

Reply Workflow::FinishWhenAnswered(std::string key, const char* step) {
  return [this, key = std::move(key), step](CommandResult result) { Finish(key, step, Succeeded(result)); };
}

}  // namespace orders::command
