// The streamed CSV export without HTTP: pages are read one at a time, each only after the previous
// chunk was written, and a stream that ends for any reason lets go of its connection.
#include <gtest/gtest.h>

#include <deque>

#include <orders/projection/csv_bodies.hpp>
#include <orders/projection/csv_stream.hpp>

namespace orders::projection {
namespace {

class ManualScheduler final : public Scheduler {
 public:
  void Post(std::function<void()> task) override { posted.push_back(std::move(task)); }
  void After(std::chrono::milliseconds, std::function<void()> task) override { posted.push_back(std::move(task)); }
  void RunPosted() {
    while (!posted.empty()) {
      auto task = std::move(posted.front());
      posted.pop_front();
      task();
    }
  }
  std::deque<std::function<void()>> posted;
};

// Holds each write until the test completes it, as a socket would.
class FakeSink final : public CsvChunkSink {
 public:
  void Write(std::string chunk, std::function<void(bool)> written) override {
    ASSERT_FALSE(pending) << "a chunk was written before the previous one was";
    chunks.push_back(std::move(chunk));
    pending = std::move(written);
  }
  void Finish() override { ++finished; }
  void Abandon() override { ++abandoned; }

  // Completes the write in flight (true: it reached the client).
  void Complete(bool written) {
    auto callback = std::exchange(pending, nullptr);
    ASSERT_TRUE(callback);
    callback(written);
  }
  std::string Body() const {
    std::string body;
    for (const auto& chunk : chunks) body += chunk;
    return body;
  }

  std::vector<std::string> chunks;
  std::function<void(bool)> pending;
  int finished = 0;
  int abandoned = 0;
};

class FakeSource final : public CsvPageSource {
 public:
  explicit FakeSource(std::vector<platform::Result<CsvPage>> pages, int* reads)
      : pages_(std::move(pages)), reads_(reads) {}
  platform::Result<CsvPage> NextPage() override {
    ++*reads_;
    auto page = pages_.front();
    pages_.erase(pages_.begin());
    return page;
  }

 private:
  std::vector<platform::Result<CsvPage>> pages_;
  int* reads_;
};

CsvPage Page(std::string rows, std::int64_t count, bool last) { return CsvPage{std::move(rows), count, last}; }

struct Ended {
  int calls = 0;
  CsvStreamEnd end;
  std::function<void(const CsvStreamEnd&)> Callback() {
    return [this](const CsvStreamEnd& e) {
      ++calls;
      end = e;
    };
  }
};

TEST(CsvStream, WritesTheHeaderAndEveryPageThenFinishesTheBody) {
  ManualScheduler scheduler;
  auto sink = std::make_shared<FakeSink>();
  int reads = 0;
  Ended ended;
  StreamCsv("h\r\n", Page("a\r\n", 1, false),
            std::make_unique<FakeSource>(
                std::vector<platform::Result<CsvPage>>{Page("b\r\nc\r\n", 2, false), Page("d\r\n", 1, true)}, &reads),
            sink, scheduler, ended.Callback());
  for (int i = 0; i < 3; ++i) {
    sink->Complete(true);
    scheduler.RunPosted();
  }
  EXPECT_EQ(sink->Body(), "h\r\na\r\nb\r\nc\r\nd\r\n");
  EXPECT_EQ(sink->chunks.size(), 3u);
  EXPECT_EQ(sink->finished, 1);
  EXPECT_EQ(sink->abandoned, 0);
  EXPECT_EQ(reads, 2);
  EXPECT_EQ(ended.calls, 1);
  EXPECT_EQ(ended.end.outcome, CsvStreamOutcome::kComplete);
  EXPECT_EQ(ended.end.rows, 4);
}

TEST(CsvStream, ReadsTheNextPageOnlyAfterTheChunkWasWrittenAndOutsideTheWriteCallback) {
  ManualScheduler scheduler;
  auto sink = std::make_shared<FakeSink>();
  int reads = 0;
  Ended ended;
  StreamCsv("h\r\n", Page("a\r\n", 1, false),
            std::make_unique<FakeSource>(std::vector<platform::Result<CsvPage>>{Page("b\r\n", 1, true)}, &reads), sink,
            scheduler, ended.Callback());
  scheduler.RunPosted();
  EXPECT_EQ(reads, 0) << "a slow client must hold the stream back";
  sink->Complete(true);
  EXPECT_EQ(reads, 0) << "the next read is posted, not run inside the write's completion";
  scheduler.RunPosted();
  EXPECT_EQ(reads, 1);
  EXPECT_EQ(ended.calls, 0);
  // The last chunk's write is still pending, and its completion holds the stream: a socket always
  // completes it (written or not). The client leaving here ends the stream, which lets go of the sink.
  sink->Complete(false);
  scheduler.RunPosted();
  EXPECT_EQ(ended.calls, 1);
}

TEST(CsvStream, AClientThatLeftStopsTheReadsAndReleasesTheResponse) {
  ManualScheduler scheduler;
  auto sink = std::make_shared<FakeSink>();
  std::weak_ptr<FakeSink> held = sink;
  int reads = 0;
  Ended ended;
  StreamCsv("h\r\n", Page("a\r\n", 1, false),
            std::make_unique<FakeSource>(
                std::vector<platform::Result<CsvPage>>{Page("b\r\n", 1, false), Page("c\r\n", 1, true)}, &reads),
            sink, scheduler, ended.Callback());
  sink->Complete(true);
  scheduler.RunPosted();
  auto* raw = sink.get();
  sink.reset();
  raw->Complete(false);  // the connection is gone
  scheduler.RunPosted();
  EXPECT_EQ(reads, 1);
  EXPECT_TRUE(held.expired()) << "the stream still holds the connection";
  EXPECT_EQ(ended.calls, 1);
  EXPECT_EQ(ended.end.outcome, CsvStreamOutcome::kCut);
  EXPECT_EQ(ended.end.rows, 1);
}

TEST(CsvStream, APageThatCannotBeReadLeavesTheBodyUnterminated) {
  ManualScheduler scheduler;
  auto sink = std::make_shared<FakeSink>();
  int reads = 0;
  Ended ended;
  StreamCsv(
      "h\r\n", Page("a\r\n", 1, false),
      std::make_unique<FakeSource>(std::vector<platform::Result<CsvPage>>{platform::Fail("database down")}, &reads),
      sink, scheduler, ended.Callback());
  sink->Complete(true);
  scheduler.RunPosted();
  EXPECT_EQ(sink->abandoned, 1);
  EXPECT_EQ(sink->finished, 0);
  EXPECT_EQ(ended.end.outcome, CsvStreamOutcome::kFailed);
  EXPECT_EQ(sink.use_count(), 1) << "the stream still holds the connection";
}

TEST(CsvStream, AnEmptyExportIsTheHeaderAlone) {
  ManualScheduler scheduler;
  auto sink = std::make_shared<FakeSink>();
  int reads = 0;
  Ended ended;
  StreamCsv(OrdersCsvHeader(), Page("", 0, true),
            std::make_unique<FakeSource>(std::vector<platform::Result<CsvPage>>{}, &reads), sink, scheduler,
            ended.Callback());
  sink->Complete(true);
  EXPECT_EQ(sink->Body(), OrdersCsvHeader());
  EXPECT_EQ(sink->finished, 1);
  EXPECT_EQ(reads, 0);
  EXPECT_EQ(ended.end.rows, 0);
}

// Orders newest first and products by id, paged by their keyset cursors as the read model does.
class PagedReader final : public ReadModelReader {
 public:
  platform::Result<void> Ping() override { return {}; }
  platform::Result<std::optional<OrderView>> FindOrder(const std::string&) override {
    return std::optional<OrderView>();
  }
  platform::Result<OrderPage> ListOrders(const ListQuery& query) override {
    limits.push_back(query.limit);
    std::size_t start = 0;
    if (query.cursor) {
      while (start < orders.size() && orders[start].order_id != query.cursor->order_id) ++start;
      ++start;
    }
    OrderPage page;
    for (std::size_t i = start; i < orders.size() && static_cast<std::int64_t>(page.items.size()) < query.limit; ++i) {
      page.items.push_back(orders[i]);
    }
    if (start + page.items.size() < orders.size()) {
      page.next = ListCursor{page.items.back().created_at, page.items.back().order_id};
    }
    return page;
  }
  platform::Result<OrderPage> OpenDeliveries(const OpenDeliveriesQuery& query) override {
    ListQuery list;
    list.limit = query.limit;
    list.cursor = query.cursor;
    return ListOrders(list);
  }
  platform::Result<std::map<domain::Status, std::int64_t>> StatusCounts() override {
    return std::map<domain::Status, std::int64_t>{};
  }
  platform::Result<std::vector<DailyRow>> Daily(const DailyQuery&) override { return std::vector<DailyRow>{}; }
  platform::Result<std::vector<CourierReportRow>> Couriers(const DailyQuery&) override {
    return std::vector<CourierReportRow>{};
  }
  platform::Result<InventoryPage> ListInventory(const InventoryQuery& query) override {
    InventoryPage page;
    for (const auto& level : stock) {
      if (query.after_product_id && level.product_id <= *query.after_product_id) continue;
      if (static_cast<std::int64_t>(page.items.size()) == query.limit) {
        page.next_after = page.items.back().product_id;
        break;
      }
      page.items.push_back(level);
    }
    return page;
  }
  platform::Result<ProductReport> Products(const ProductsQuery&) override { return ProductReport{}; }
  platform::Result<FunnelReport> Funnel(const DailyQuery&) override { return FunnelReport{}; }

  std::vector<domain::Order> orders;
  std::vector<StockLevel> stock;
  std::vector<std::int64_t> limits;
};

domain::Order OrderNumbered(int i) {
  domain::Order order;
  order.order_id = "order-" + std::to_string(100000 + i);
  order.customer_id = "c";
  order.currency = "EUR";
  order.created_at = domain::Timestamp{std::chrono::milliseconds(1'000'000'000 - i)};
  return order;
}

// Everything a source yields, until its last page.
std::pair<std::string, std::int64_t> Drain(CsvPageSource& source) {
  std::string body;
  std::int64_t rows = 0;
  for (int pages = 0; pages < 100; ++pages) {
    auto page = source.NextPage();
    EXPECT_TRUE(page.ok());
    if (!page) break;
    body += page->rows;
    rows += page->row_count;
    if (page->last) break;
  }
  return {body, rows};
}

TEST(CsvStreamSources, OrdersAreReadInPagesFromTheRequestsCursorToTheEnd) {
  PagedReader reader;
  for (int i = 0; i < 2500; ++i) reader.orders.push_back(OrderNumbered(i));
  ListQuery query;
  query.limit = 7;  // the request's page size does not cut the export
  query.cursor = ListCursor{reader.orders[99].created_at, reader.orders[99].order_id};
  auto source = OrdersCsvSource(reader, query);
  const auto [body, rows] = Drain(*source);
  EXPECT_EQ(rows, 2400);
  const std::vector<domain::Order> rest(reader.orders.begin() + 100, reader.orders.end());
  EXPECT_EQ(body, OrdersCsvRows(rest));
  EXPECT_EQ(reader.limits, (std::vector<std::int64_t>{kCsvStreamPageRows, kCsvStreamPageRows, kCsvStreamPageRows}));
}

TEST(CsvStreamSources, OpenDeliveriesAndInventoryWalkTheirOwnCursors) {
  PagedReader reader;
  for (int i = 0; i < 1001; ++i) reader.orders.push_back(OrderNumbered(i));
  for (int i = 0; i < 1500; ++i) {
    reader.stock.push_back(StockLevel{"sku-" + std::to_string(10000 + i), i, 0, i, 1, domain::Timestamp{}});
  }
  auto deliveries = OpenDeliveriesCsvSource(reader, OpenDeliveriesQuery{});
  EXPECT_EQ(Drain(*deliveries).second, 1001);
  InventoryQuery after;
  after.after_product_id = "sku-10499";
  auto inventory = InventoryCsvSource(reader, after);
  const auto [body, rows] = Drain(*inventory);
  EXPECT_EQ(rows, 1000);
  EXPECT_EQ(body, InventoryCsvRows(std::vector<StockLevel>(reader.stock.begin() + 500, reader.stock.end())));
}

TEST(CsvStreamSources, AFailedReadIsPassedOn) {
  class DownReader final : public ReadModelReader {
   public:
    platform::Result<void> Ping() override { return platform::Fail("down"); }
    platform::Result<std::optional<OrderView>> FindOrder(const std::string&) override { return platform::Fail("down"); }
    platform::Result<OrderPage> ListOrders(const ListQuery&) override { return platform::Fail("down"); }
    platform::Result<OrderPage> OpenDeliveries(const OpenDeliveriesQuery&) override { return platform::Fail("down"); }
    platform::Result<std::map<domain::Status, std::int64_t>> StatusCounts() override { return platform::Fail("down"); }
    platform::Result<std::vector<DailyRow>> Daily(const DailyQuery&) override { return platform::Fail("down"); }
    platform::Result<std::vector<CourierReportRow>> Couriers(const DailyQuery&) override {
      return platform::Fail("down");
    }
    platform::Result<InventoryPage> ListInventory(const InventoryQuery&) override { return platform::Fail("down"); }
    platform::Result<ProductReport> Products(const ProductsQuery&) override { return platform::Fail("down"); }
    platform::Result<FunnelReport> Funnel(const DailyQuery&) override { return platform::Fail("down"); }
  } reader;
  EXPECT_FALSE(OrdersCsvSource(reader, ListQuery{})->NextPage().ok());
  EXPECT_FALSE(InventoryCsvSource(reader, InventoryQuery{})->NextPage().ok());
}

}  // namespace
}  // namespace orders::projection
