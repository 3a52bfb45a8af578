// The stock book keeps a product's settled reservations for RESERVATION_RETENTION
// of event time, then forgets them; open reservations are never forgotten.
#include <gtest/gtest.h>

#include <orders/command/stock_book.hpp>

namespace orders::command {
namespace {

using namespace std::chrono_literals;
using domain::ReservationState;

const domain::Timestamp kStart{std::chrono::milliseconds(1764000000000)};
const std::string kSku = "sku-1";

std::string OrderId(int n) {
  const std::string digits = std::to_string(n);
  return "00000000-0000-4000-8000-" + std::string(12 - digits.size(), '0') + digits;
}

// Applies a product's events in order, as the inventory follower does.
class ProductLog {
 public:
  explicit ProductLog(StockBook& book) : book_(book) { Apply(domain::StockSet{kSku, 0, kStart, 1'000'000}); }

  // An order reserves one unit at `at` and, unless kept open, releases it at the same time.
  void Order(int n, domain::Timestamp at, bool keep_open = false) {
    Apply(domain::StockReserved{kSku, 0, at, OrderId(n), 1});
    if (!keep_open) Apply(domain::StockReleased{kSku, 0, at, OrderId(n), 1});
  }

 private:
  template <typename Event>
  void Apply(Event event) {
    event.version = ++version_;
    ASSERT_EQ(book_.Apply(event), domain::ApplyOutcome::kApplied);
  }

  StockBook& book_;
  std::int64_t version_ = 0;
};

// A book that keeps settled reservations for an hour, and counts what it forgets.
class StockBookRetention : public ::testing::Test {
 protected:
  StockBookRetention() { book.SetSettledRetention(1h, forgotten); }

  platform::MetricsRegistry metrics;
  platform::Counter& forgotten = metrics.AddCounter("forgotten", "");
  StockBook book;
};

TEST_F(StockBookRetention, SettledReservationsOutlivingTheRetentionAreForgottenAsLaterEventsArrive) {
  ProductLog log(book);
  log.Order(0, kStart, true);  // still held two hours later
  for (int n = 1; n <= 300; ++n) log.Order(n, kStart + std::chrono::milliseconds(n));
  for (int n = 301; n <= 600; ++n) log.Order(n, kStart + 2h);

  EXPECT_EQ(book.ReservationOf(kSku, OrderId(1)), ReservationState::kNone);
  EXPECT_EQ(book.ReservationOf(kSku, OrderId(300)), ReservationState::kNone);
  EXPECT_EQ(book.ReservationOf(kSku, OrderId(600)), ReservationState::kReleased);
  EXPECT_EQ(book.ReservationOf(kSku, OrderId(0)), ReservationState::kHeld) << "open reservations stay";
  EXPECT_EQ(forgotten.Value(), 300u);
  const auto stock = book.Find(kSku);
  EXPECT_EQ(stock->reserved, 1);
  EXPECT_LE(stock->settled.size(), 300u);
}

TEST_F(StockBookRetention, ReservationsSettledWithinTheRetentionAreKept) {
  ProductLog log(book);
  for (int n = 1; n <= 1000; ++n) log.Order(n, kStart + std::chrono::seconds(n));  // 1000 s < 1 h
  EXPECT_EQ(book.ReservationOf(kSku, OrderId(1)), ReservationState::kReleased);
  EXPECT_EQ(book.Find(kSku)->settled.size(), 1000u);
  EXPECT_EQ(forgotten.Value(), 0u);
}

TEST(StockBookWithoutRetention, EverySettledReservationIsKept) {
  StockBook book;
  ProductLog log(book);
  for (int n = 1; n <= 300; ++n) log.Order(n, kStart);
  for (int n = 301; n <= 600; ++n) log.Order(n, kStart + 24h * 365);
  EXPECT_EQ(book.ReservationOf(kSku, OrderId(1)), ReservationState::kReleased);
  EXPECT_EQ(book.Find(kSku)->settled.size(), 600u);
}

TEST_F(StockBookRetention, ARestoredProductForgetsAtOnceWhatHadOutlivedTheRetention) {
  domain::Stock stock{kSku, 10, 2, {{OrderId(1), 2}}, {}, 9, kStart + 3h};
  stock.settled[OrderId(2)] = {ReservationState::kCommitted, 1, kStart};
  stock.settled[OrderId(3)] = {ReservationState::kRefused, 50, kStart + 150min};
  book.Restore(stock);
  EXPECT_EQ(book.ReservationOf(kSku, OrderId(1)), ReservationState::kHeld);
  EXPECT_EQ(book.ReservationOf(kSku, OrderId(2)), ReservationState::kNone);
  EXPECT_EQ(book.ReservationOf(kSku, OrderId(3)), ReservationState::kRefused);
}

}  // namespace
}  // namespace orders::command
