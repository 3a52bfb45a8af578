#pragma once
// The command side's inventory state: every tracked product's stock, folded
// from the inventory topic. Like the OrderBook: one writer per product (work
// for a product runs only when no other work for it is running: RunExclusive /
// Release), and a product whose append had an unknown outcome takes no command
// until the log says what happened. Thread-safe; no I/O. Also the FoldTarget
// of the inventory topic's LogFollower.
//
// Settled reservations (refused, released, committed) are kept for
// `settled_retention` after they were settled, measured in event time (the
// time of the product's latest event, so a replay forgets the same ones), and
// then forgotten: a product's record is bounded by its recent orders, not by
// every order it ever had. They are only there to answer a repeated request,
// and an order asks again only while it is unfinished.

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
#include <orders/platform/metrics.hpp>

namespace orders::command {

class StockBook : public FoldTarget, public ExclusiveSlots<domain::Stock> {
 public:
  static constexpr std::size_t kMaxWaitingPerProduct = 256;
  // A product's settled reservations are scanned for old ones when they have
  // doubled since the last scan (and number at least this many): the scans
  // cost O(1) per event, and a record holds at most twice what it must.
  static constexpr std::size_t kSettledBeforeFirstScan = 256;
  static constexpr auto kKeepSettledForever = std::chrono::milliseconds::max();

  // Without a dispatch, waiting work runs inline in Release() (unit tests).
  StockBook() : ExclusiveSlots(nullptr, kMaxWaitingPerProduct) {}
  explicit StockBook(Dispatch dispatch) : ExclusiveSlots(std::move(dispatch), kMaxWaitingPerProduct) {}

  // RESERVATION_RETENTION (retention_config.hpp); kept forever until set. Set before any Apply or Restore;
  // `forgotten` counts what is dropped.
  void SetSettledRetention(std::chrono::milliseconds retention, platform::Counter& forgotten) {
    settled_retention_ = retention;
    forgotten_ = &forgotten;
  }

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
  // Under the lock: forgets the product's settled reservations older than the
  // retention, measured back from `latest` (its latest event's time), when due.
  void ForgetOldSettled(const std::string& product_id, domain::Stock& stock, domain::Timestamp latest, bool scan_now);

  std::chrono::milliseconds settled_retention_ = kKeepSettledForever;
  // Per product: how many settled reservations the last scan kept.
  std::unordered_map<std::string, std::size_t> kept_by_last_scan_;
  platform::Counter* forgotten_ = nullptr;
  ApplyListener listener_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> uncertain_;
};

}  // namespace orders::command
