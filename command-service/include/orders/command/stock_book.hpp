#pragma once
// The command side's inventory state: every tracked product's stock, folded
// from the inventory topic. Like the OrderBook: one writer per product (work
// for a product runs only when no other work for it is running: RunExclusive /
// Release), and a product whose append had an unknown outcome takes no command
// until the log says what happened. Thread-safe; no I/O. Also the FoldTarget
// of the inventory topic's LogFollower.

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include <orders/codec/inventory_codec.hpp>
#include <orders/command/exclusive_slots.hpp>
#include <orders/command/fold_target.hpp>
#include <orders/domain/inventory.hpp>

namespace orders::command {

class StockBook : public FoldTarget, public ExclusiveSlots<domain::Stock> {
 public:
  static constexpr std::size_t kMaxWaitingPerProduct = 256;

  // Without a dispatch, waiting work runs inline in Release() (unit tests).
  StockBook() : ExclusiveSlots(nullptr, kMaxWaitingPerProduct) {}
  explicit StockBook(Dispatch dispatch) : ExclusiveSlots(std::move(dispatch), kMaxWaitingPerProduct) {}

  // RunExclusive(product_id, work) / Release(product_id): see exclusive_slots.hpp.

  // nullopt: untracked (never set). Find copies the product's per-order
  // reservations (they grow with every order of it); Level, ReservationOf and
  // Decide do not, and are what the hot paths use.
  std::optional<domain::Stock> Find(const std::string& product_id) const;
  // The counts only (onHand, reserved, version): `reservations` and `settled` are left empty.
  std::optional<domain::Stock> Level(const std::string& product_id) const;
  // nullopt: untracked.
  std::optional<domain::ReservationState> ReservationOf(const std::string& product_id,
                                                        const std::string& order_id) const;
  // Runs `decide` on the product's state under the book's lock (Decide is pure and quick).
  using Decider = std::function<domain::StockDecision(const std::optional<domain::Stock>&)>;
  domain::StockDecision Decide(const std::string& product_id, const Decider& decide) const;
  domain::ApplyOutcome Apply(const domain::StockEvent& event);
  // A product's stock as the state store kept it (start-up, before any record
  // is folded). The apply listener is not told: the orders restored beside it
  // tell the workflow, which then reads their reservations here.
  void Restore(domain::Stock stock);

  // Told the order id of every applied reservation event (reserved, refused,
  // released, committed), outside the book's lock, on the applying thread: it
  // must only take note. Set before any Apply.
  using ApplyListener = std::function<void(const std::string& order_id)>;
  void SetApplyListener(ApplyListener listener) { listener_ = std::move(listener); }

  void MarkUncertain(const std::string& product_id);
  bool IsUncertain(const std::string& product_id) const;
  bool HasUncertain() const override;
  void ClearUncertainBefore(std::chrono::steady_clock::time_point cutoff) override;

  std::size_t ProductCount() const;

  // FoldTarget: decodes an inventory record and applies it.
  Folded Fold(const platform::ConsumedRecord& record) override;
  std::string_view StreamsName() const override { return "products"; }
  std::size_t StreamCount() const override { return ProductCount(); }
  std::string_view KeyName() const override { return "productId"; }

 private:
  ApplyListener listener_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> uncertain_;
};

}  // namespace orders::command
