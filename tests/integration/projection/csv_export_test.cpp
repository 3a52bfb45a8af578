// Streamed CSV exports against a real projection process and PostgreSQL: 200,000 orders seeded
// straight into the read model, exported whole, cut by the client mid-stream, and left unread.
// After a cut or a stalled reader the service must hold nothing: no database connection in use,
// no descriptor, no memory that grows with every export.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "projection_fixture.hpp"

namespace orders::testing {
namespace {

constexpr int kSeededOrders = 200'000;
constexpr int kWriteTimeoutMs = 1500;

// How far resident memory may grow: over a whole export (its peak), and across 20 cut exports. Under
// ASan (./infra/test.sh --sanitize) every freed buffer sits in the allocator's quarantine instead of
// being reused, so resident memory grows with churn alone and says nothing about what an export holds.
#if defined(__SANITIZE_ADDRESS__)
constexpr long kExportPeakSlackKib = 1024 * 1024;  // 418 MB measured: the quarantine and its shadow
constexpr long kCutsSlackKib = 256 * 1024;
#else
constexpr long kExportPeakSlackKib = 16 * 1024;
constexpr long kCutsSlackKib = 8 * 1024;
#endif

int OpenDescriptors(pid_t pid) {
  int count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd"))
    ++count;
  return count;
}

// A line of /proc/<pid>/status in KiB: VmRSS (resident now) or VmHWM (the most ever resident).
long StatusKib(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
  }
  return -1;
}

long ResidentKib(pid_t pid) { return StatusKib(pid, "VmRSS"); }

// One export request on its own socket, read as the test decides: a little, all of it, or nothing.
class ExportConnection {
 public:
  // `receive_buffer`: a small one makes a reader that never reads stall the server sooner.
  ExportConnection(std::uint16_t port, const std::string& path, int receive_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (receive_buffer > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/csv\r\nAuthorization: " +
                                BearerOf(TestToken("exporter", "staff")) + "\r\n\r\n";
    ::send(fd_, request.data(), request.size(), MSG_NOSIGNAL);
  }
  ~ExportConnection() { Close(); }
  ExportConnection(const ExportConnection&) = delete;
  ExportConnection& operator=(const ExportConnection&) = delete;

  bool connected() const { return fd_ >= 0; }

  // Reads until `bytes` arrived in all, the server closed, or `timeout` passed; false on close.
  bool ReadAtLeast(std::size_t bytes, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char chunk[65536];
    while (received_.size() < bytes) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) return true;
      pollfd waiter{fd_, POLLIN, 0};
      if (::poll(&waiter, 1, static_cast<int>(left)) <= 0) return true;
      const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      received_.append(chunk, static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads until the last chunk came or the server closed; the status line, headers and decoded body.
  HttpResponse ReadToEnd(std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (received_.size() >= 5 && received_.compare(received_.size() - 5, 5, "0\r\n\r\n") == 0 && Decoded()) break;
      if (!ReadAtLeast(received_.size() + 1, std::chrono::seconds(5))) break;
    }
    HttpResponse response;
    const auto head_end = received_.find("\r\n\r\n");
    if (head_end == std::string::npos) return response;
    response.status = std::atoi(received_.substr(9, 3).c_str());
    head_ = received_.substr(0, head_end);
    if (auto body = Decoded()) {
      response.body = std::move(*body);
    } else {
      response.body = received_.substr(head_end + 4);  // framing included: the transfer never ended
      response.status = -response.status;
    }
    return response;
  }

  const std::string& head() const { return head_; }
  std::size_t received() const { return received_.size(); }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  std::optional<std::string> Decoded() const {
    const auto head_end = received_.find("\r\n\r\n");
    if (head_end == std::string::npos) return std::nullopt;
    return DecodeChunked(std::string_view(received_).substr(head_end + 4));
  }

  int fd_ = -1;
  std::string received_;
  std::string head_;
};

class CsvExportTest : public ProjectionTest {
 protected:
  void SetUp() override {
    ProjectionTest::SetUp();
    if (HasFatalFailure()) return;
    // The service's own connections are the ones named after the test, whatever else the database serves.
    application_name_ = schema_;
    extra_env_["DATABASE_URL"] =
        database_url_ + (database_url_.find('?') == std::string::npos ? "?" : "&") + "application_name=" + schema_;
    extra_env_["HTTP_WRITE_TIMEOUT_MS"] = std::to_string(kWriteTimeoutMs);
    StartService();
    WaitReady();
    Seed();
  }

  // kSeededOrders orders over 200 days, straight into the read model (as the projection folds them):
  // every tenth cancelled, every tenth pending, the rest delivered.
  void Seed() {
    pqxx::connection connection(projection::ReadModelConnectionString(database_url_, schema_));
    pqxx::work tx(connection);
    tx.exec_params(
        "INSERT INTO orders (order_id, customer_id, items, currency, total_cents, status, version, created_at,"
        " updated_at, courier_id, payment_status, payment_id, payment_amount_cents)"
        " SELECT md5('csv-export-' || g)::uuid, 'customer-' || (g % 1000),"
        "  jsonb_build_array(jsonb_build_object('productId', 'sku-' || (g % 500), 'quantity', 1 + g % 3,"
        "   'unitPriceCents', 100 + g % 5000)),"
        "  'USD', (1 + g % 3) * (100 + g % 5000),"
        "  CASE g % 10 WHEN 0 THEN 'cancelled' WHEN 1 THEN 'pending' ELSE 'delivered' END,"
        "  CASE g % 10 WHEN 0 THEN 2 WHEN 1 THEN 1 ELSE 4 END,"
        "  timestamptz '2026-01-01' + g * interval '86 seconds', timestamptz '2026-01-01' + g * interval '86 seconds',"
        "  CASE WHEN g % 10 > 1 THEN 'courier-' || (g % 40) END,"
        "  CASE g % 10 WHEN 0 THEN 'declined' WHEN 1 THEN 'pending' ELSE 'authorized' END,"
        "  CASE WHEN g % 10 > 1 THEN 'pay-' || g END, (1 + g % 3) * (100 + g % 5000)"
        " FROM generate_series(1, $1) AS g",
        kSeededOrders);
    tx.exec("ANALYZE orders");
    tx.commit();
  }

  // The service's database connections: all of them, and those in a query or transaction now.
  std::pair<int, int> DatabaseConnections() {
    auto connection = Connect();
    pqxx::nontransaction tx(connection);
    const auto row = tx.exec_params1(
        "SELECT count(*), count(*) FILTER (WHERE state <> 'idle') FROM pg_stat_activity WHERE application_name = $1",
        application_name_);
    return {row[0].as<int>(), row[1].as<int>()};
  }

  double Metric(const std::string& series) { return MetricValue(Get("/metrics").body, series); }

  // Waits until no export is under way and `outcome` has counted `count` of them.
  void WaitForExportsEnded(const std::string& outcome, double count,
                           std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    const std::string series = "projection_csv_exports_total{outcome=\"" + outcome + "\"}";
    EXPECT_TRUE(
        Eventually([&] { return Metric("projection_csv_exports_open") == 0 && Metric(series) == count; }, timeout))
        << series << " = " << Metric(series) << ", open " << Metric("projection_csv_exports_open");
  }

  // Exports cut after their first chunk, eight at a time, until every HTTP thread has run one: each
  // thread opens its own database connection on its first query, which is not what a test of leaks
  // should count. Returns how many exports were cut.
  int WarmUp() {
    constexpr int kRounds = 3, kAtOnce = 8;
    for (int round = 0; round < kRounds; ++round) {
      std::vector<std::unique_ptr<ExportConnection>> exports;
      for (int i = 0; i < kAtOnce; ++i)
        exports.push_back(std::make_unique<ExportConnection>(service_->port(), "/orders"));
      for (auto& e : exports) EXPECT_TRUE(e->ReadAtLeast(64 * 1024));
    }
    WaitForExportsEnded("cut", kRounds * kAtOnce);
    return kRounds * kAtOnce;
  }

  std::string application_name_;
};

std::int64_t Lines(const std::string& body) { return std::count(body.begin(), body.end(), '\n'); }

TEST_F(CsvExportTest, AnExportWithoutLimitStreamsTheHeaderAndEveryMatchingRowExactlyOnceInBoundedMemory) {
  const long resident = ResidentKib(service_->pid());
  const auto started = std::chrono::steady_clock::now();
  ExportConnection all(service_->port(), "/orders");
  ASSERT_TRUE(all.connected());
  const auto response = all.ReadToEnd();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_EQ(response.status, 200) << all.head() << response.body.substr(0, 500);
  EXPECT_NE(all.head().find("Transfer-Encoding: chunked"), std::string::npos) << all.head();
  EXPECT_EQ(all.head().find("Content-Length"), std::string::npos) << all.head();
  EXPECT_NE(all.head().find("text/csv; charset=utf-8"), std::string::npos) << all.head();
  ASSERT_EQ(Lines(response.body), kSeededOrders + 1);
  EXPECT_EQ(response.body.substr(0, response.body.find("\r\n")),
            "orderId,customerId,status,currency,totalCents,courierId,paymentStatus,version,createdAt,updatedAt,items");
  std::set<std::string> ids;
  std::string previous_created;
  bool newest_first = true;
  for (std::size_t line = response.body.find("\r\n") + 2; line < response.body.size();) {
    const auto end = response.body.find("\r\n", line);
    const std::string row = response.body.substr(line, end - line);
    ids.insert(row.substr(0, row.find(',')));
    // createdAt is the ninth field; the fields before it never need quotes.
    std::size_t field = 0;
    for (int comma = 0; comma < 8; ++comma) field = row.find(',', field) + 1;
    const std::string created = row.substr(field, row.find(',', field) - field);
    if (!previous_created.empty() && created > previous_created) newest_first = false;
    previous_created = created;
    line = end + 2;
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kSeededOrders));
  EXPECT_TRUE(newest_first);
  const long peak = StatusKib(service_->pid(), "VmHWM");
  std::printf("[ csv export ] %d rows, %zu bytes in %.2f s (%.0f rows/s); RSS %ld kB before, peak %ld kB\n",
              kSeededOrders, response.body.size(), seconds, kSeededOrders / seconds, resident, peak);
  // The body is 42 MB; an export that held it, or its rows, would have peaked far above a few pages.
  EXPECT_LT(peak - resident, kExportPeakSlackKib) << "peak RSS " << peak << " kB, " << resident << " kB before";

  // Filters and the request's cursor hold for the whole export.
  ExportConnection delivered(service_->port(), "/orders?status=delivered");
  EXPECT_EQ(Lines(delivered.ReadToEnd().body), kSeededOrders * 8 / 10 + 1);
  auto page =
      HttpRequest(service_->port(), "GET", "/orders?status=pending&limit=500", {}, WithToken({{"Accept", "text/csv"}}));
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(Lines(page.body), 501) << "with limit, one page";
  ASSERT_FALSE(page.Header("next-cursor").empty());
  ExportConnection rest(service_->port(), "/orders?status=pending&cursor=" + page.Header("next-cursor"));
  EXPECT_EQ(Lines(rest.ReadToEnd().body), kSeededOrders / 10 - 500 + 1);
  WaitForExportsEnded("complete", 3);
  EXPECT_EQ(Metric("projection_csv_export_rows_total"),
            kSeededOrders + kSeededOrders * 8 / 10 + kSeededOrders / 10 - 500);
}

TEST_F(CsvExportTest, ExportsCutByTheClientMidStreamFreeTheirConnectionsDescriptorsAndMemory) {
  const pid_t pid = service_->pid();
  const auto cut_one = [&] {
    ExportConnection cut(service_->port(), "/orders");
    ASSERT_TRUE(cut.connected());
    ASSERT_TRUE(cut.ReadAtLeast(256 * 1024)) << "the server closed before the client cut";
    EXPECT_LT(cut.received(), 20'000'000u);
  };
  // What any export allocates once (per-thread connections, buffers, statements) goes into the baseline.
  const int warm_up = WarmUp();
  ASSERT_EQ(Get("/orders?limit=1").status, 200);
  const int descriptors = OpenDescriptors(pid);
  const long resident = ResidentKib(pid);
  const auto [connections, busy] = DatabaseConnections();
  EXPECT_EQ(busy, 0);

  constexpr int kCuts = 20;
  for (int i = 0; i < kCuts; ++i) cut_one();
  WaitForExportsEnded("cut", warm_up + kCuts);

  EXPECT_EQ(Get("/orders?limit=1").status, 200) << "the query API still answers";
  EXPECT_TRUE(Eventually([&] { return OpenDescriptors(pid) <= descriptors; }, std::chrono::seconds(10)))
      << OpenDescriptors(pid) << " descriptors, " << descriptors << " before";
  EXPECT_TRUE(Eventually(
      [&] {
        const auto [now, now_busy] = DatabaseConnections();
        return now <= connections && now_busy == 0;
      },
      std::chrono::seconds(10)))
      << DatabaseConnections().first << " connections (" << DatabaseConnections().second << " busy), " << connections
      << " before";
  const long after = ResidentKib(pid);
  std::printf("[ csv export ] RSS %ld kB before %d cut exports, %ld kB after\n", resident, kCuts, after);
  // 20 exports of 46 MB each: memory that grew with each of them would show as tens of MB.
  EXPECT_LT(after - resident, kCutsSlackKib) << "RSS grew from " << resident << " kB to " << after << " kB";
}

TEST_F(CsvExportTest, AReaderThatNeverReadsIsCutOffAfterTheWriteTimeoutWithoutHoldingADatabaseConnection) {
  const pid_t pid = service_->pid();
  const int warm_up = WarmUp();
  const int descriptors = OpenDescriptors(pid);
  ExportConnection stalled(service_->port(), "/orders", 16 * 1024);
  ASSERT_TRUE(stalled.connected());
  const auto started = std::chrono::steady_clock::now();
  // The server fills the socket buffers in a few milliseconds; then the export waits on its write.
  ASSERT_TRUE(Eventually([&] { return Metric("projection_csv_exports_open") == 1; }, std::chrono::seconds(5)));
  std::this_thread::sleep_for(std::chrono::milliseconds(kWriteTimeoutMs / 3));
  // A slow machine (the sanitizers, tests in parallel) may still be fetching the rows that fill the socket:
  // the connection must be let go by the time the export waits on its write, well before the timeout.
  EXPECT_TRUE(Eventually([&] { return DatabaseConnections().second == 0; },
                         std::chrono::milliseconds(kWriteTimeoutMs / 3), std::chrono::milliseconds(10)))
      << "a stalled export holds a database connection";
  EXPECT_EQ(Metric("projection_csv_exports_open"), 1) << "cut before the write timeout";
  EXPECT_EQ(Metric("projection_csv_exports_total{outcome=\"cut\"}"), warm_up);

  WaitForExportsEnded("cut", warm_up + 1, std::chrono::milliseconds(kWriteTimeoutMs + 10'000));
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_GE(waited, kWriteTimeoutMs / 1000.0 * 0.9);
  EXPECT_EQ(DatabaseConnections().second, 0);
  // What the client gets when it reads at last: the start of the export and no terminating chunk.
  const auto response = stalled.ReadToEnd(std::chrono::seconds(10));
  EXPECT_EQ(response.status, -200) << "the transfer looks complete: " << stalled.head();
  EXPECT_LT(Lines(response.body), kSeededOrders);
  stalled.Close();
  EXPECT_TRUE(Eventually([&] { return OpenDescriptors(pid) <= descriptors; }, std::chrono::seconds(10)));
  EXPECT_EQ(Get("/orders?limit=1").status, 200);
}

TEST_F(CsvExportTest, SixteenExportsRunAtOnceAndOneMoreIsToldToRetryUntilOneEnds) {
  std::vector<std::unique_ptr<ExportConnection>> stalled;
  for (int i = 0; i < 16; ++i) {
    stalled.push_back(std::make_unique<ExportConnection>(service_->port(), "/orders", 16 * 1024));
    ASSERT_TRUE(stalled.back()->connected());
  }
  ASSERT_TRUE(Eventually([&] { return Metric("projection_csv_exports_open") == 16; }, std::chrono::seconds(10)))
      << Metric("projection_csv_exports_open");
  const auto refused =
      HttpRequest(service_->port(), "GET", "/orders?status=pending", {}, WithToken({{"Accept", "text/csv"}}));
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.Header("content-type"), "application/problem+json");
  EXPECT_EQ(refused.Header("retry-after"), "1");
  const auto page = HttpRequest(service_->port(), "GET", "/orders?limit=5", {}, WithToken({{"Accept", "text/csv"}}));
  EXPECT_EQ(page.status, 200) << "a page is not an export";

  WaitForExportsEnded("cut", 16, std::chrono::milliseconds(kWriteTimeoutMs + 10'000));
  ExportConnection next(service_->port(), "/orders");
  ASSERT_TRUE(next.ReadAtLeast(64 * 1024));
  next.Close();
  WaitForExportsEnded("cut", 17);
}

TEST_F(CsvExportTest, AnExportWhoseDatabaseGoesAwayMidStreamEndsWithoutItsLastChunk) {
  ExportConnection broken(service_->port(), "/orders");
  ASSERT_TRUE(broken.connected());
  // A few pages read; the rest of the 42 MB waits in the socket buffers or unread in the database.
  ASSERT_TRUE(broken.ReadAtLeast(256 * 1024));
  {
    auto connection = Connect();
    pqxx::nontransaction tx(connection);
    const auto ended =
        tx.exec_params1("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
                        application_name_)[0];
    ASSERT_GT(ended.as<int>(), 0);
  }
  // The service's own request timeout closes the unfinished answer (15 s).
  const auto response = broken.ReadToEnd(std::chrono::seconds(40));
  EXPECT_EQ(response.status, -200) << "a broken export looks complete: " << broken.head();
  EXPECT_LT(Lines(response.body), kSeededOrders);
  EXPECT_EQ(response.body.find("0\r\n\r\n", response.body.size() - 5), std::string::npos);
  WaitForExportsEnded("failed", 1);
  EXPECT_TRUE(Eventually([&] { return Get("/orders?limit=1").status == 200; }, std::chrono::seconds(10)))
      << "the query API reconnects";
}

TEST_F(ProjectionTest, AWriteTimeoutOutsideItsRangeIsRefusedAtStart) {
  for (const std::string bad : {"abc", "99", "600001", "-5", "1500ms"}) {
    extra_env_["HTTP_WRITE_TIMEOUT_MS"] = bad;
    ServiceProcess service(ProjectionServiceBinary(), Environment());
    EXPECT_FALSE(service.Start(std::chrono::seconds(15))) << bad;
    EXPECT_NE(service.LogText().find("HTTP_WRITE_TIMEOUT_MS must be an integer from 100 to 600000"), std::string::npos)
        << bad << ": " << service.LogText();
  }
}

}  // namespace
}  // namespace orders::testing
