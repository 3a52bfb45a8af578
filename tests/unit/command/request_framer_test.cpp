#include <gtest/gtest.h>

#include <orders/command/request_framer.hpp>

namespace orders::command {
namespace {

using Kind = RequestFramer::Result::Kind;
using namespace std::string_literals;

// Feeds `bytes` in pieces of `step` bytes and collects every result until the framer needs more.
std::vector<RequestFramer::Result> FeedAll(RequestFramer& framer, const std::string& bytes, std::size_t step = 0) {
  std::vector<RequestFramer::Result> results;
  if (step == 0) step = bytes.size() ? bytes.size() : 1;
  for (std::size_t at = 0; at < bytes.size(); at += step) {
    framer.Append(std::string_view(bytes).substr(at, step));
    while (true) {
      auto result = framer.Next();
      if (result.kind == Kind::kNeedMore) break;
      const bool refused = result.kind == Kind::kRefused;
      results.push_back(std::move(result));
      if (refused) return results;
    }
  }
  return results;
}

int RefusalStatus(const std::string& bytes) {
  RequestFramer framer;
  const auto results = FeedAll(framer, bytes);
  if (results.empty() || results.back().kind != Kind::kRefused) return 0;
  return results.back().refusal.status;
}

const std::string kPost = "POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";

TEST(RequestFramer, PassesAWholeRequestWithItsBodyEvenWhenItArrivesByteByByte) {
  const std::string request = kPost + "Content-Length: 2\r\n\r\n{}";
  for (std::size_t step : {std::size_t{0}, std::size_t{1}, std::size_t{7}}) {
    RequestFramer framer;
    const auto results = FeedAll(framer, request, step);
    ASSERT_EQ(results.size(), 1u) << step;
    EXPECT_EQ(results[0].kind, Kind::kRequest);
    EXPECT_EQ(results[0].request, request);
    EXPECT_EQ(framer.buffered(), 0u);
  }
}

TEST(RequestFramer, SplitsPipelinedRequestsInOrder) {
  const std::string first = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string second = kPost + "Content-Length: 2\r\n\r\n{}";
  const std::string third = "GET /readyz HTTP/1.1\r\n\r\n";
  RequestFramer framer;
  const auto results = FeedAll(framer, first + second + third);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].request, first);
  EXPECT_EQ(results[1].request, second);
  EXPECT_EQ(results[2].request, third);
}

TEST(RequestFramer, ReassemblesAValidChunkedBody) {
  const std::string request = kPost + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\na\r\n0123456789\r\n0\r\n\r\n";
  for (std::size_t step : {std::size_t{0}, std::size_t{1}, std::size_t{5}}) {
    RequestFramer framer;
    const auto results = FeedAll(framer, request + "GET / HTTP/1.1\r\n\r\n", step);
    ASSERT_EQ(results.size(), 2u) << step;
    EXPECT_EQ(results[0].request, request);
  }
}

TEST(RequestFramer, RefusesContentLengthThatIsNotAPlainNumber) {
  for (const char* value : {"-1", "abc", "1e3", "+5", "0x10", "", "5, 5", "2 2"}) {
    EXPECT_EQ(RefusalStatus(kPost + "Content-Length: " + value + "\r\n\r\n{}"), 400) << value;
  }
}

TEST(RequestFramer, RefusesHugeContentLengthBeforeReadingTheBody) {
  for (const char* value : {"1000000000000000000", "99999999999999999999", "262145"}) {
    EXPECT_EQ(RefusalStatus(kPost + "Content-Length: " + value + "\r\n\r\n"), 413) << value;
  }
}

TEST(RequestFramer, RefusesConflictingContentLengthsButAcceptsRepeatedEqualOnes) {
  EXPECT_EQ(RefusalStatus(kPost + "Content-Length: 2\r\nContent-Length: 5\r\n\r\n{}"), 400);
  RequestFramer framer;
  const auto results = FeedAll(framer, kPost + "Content-Length: 2\r\ncontent-length: 2\r\n\r\n{}");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].kind, Kind::kRequest);
}

TEST(RequestFramer, RefusesContentLengthTogetherWithTransferEncoding) {
  EXPECT_EQ(RefusalStatus(kPost + "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"), 400);
}

TEST(RequestFramer, RefusesTransferCodingsOtherThanChunked) {
  EXPECT_EQ(RefusalStatus(kPost + "Transfer-Encoding: gzip, chunked\r\n\r\n"), 501);
  EXPECT_EQ(RefusalStatus(kPost + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
}

TEST(RequestFramer, RefusesBadChunks) {
  for (const char* body :
       {"zz\r\n{}\r\n0\r\n\r\n", "-5\r\n{}\r\n0\r\n\r\n", "7fffffffffffffff\r\n{}\r\n0\r\n\r\n",
        "2;ext=1\r\n{}\r\n0\r\n\r\n", "2\r\n{}}\r\n0\r\n\r\n", "2\r\n{}\r\n0\r\nTrailer: x\r\n\r\n"}) {
    const int status = RefusalStatus(kPost + "Transfer-Encoding: chunked\r\n\r\n" + body);
    EXPECT_TRUE(status == 400 || status == 413) << body << " -> " << status;
  }
}

TEST(RequestFramer, WaitsForATruncatedChunkWithoutPassingAnything) {
  RequestFramer framer;
  EXPECT_TRUE(FeedAll(framer, kPost + "Transfer-Encoding: chunked\r\n\r\n10\r\n{}").empty());
}

TEST(RequestFramer, RefusesHeadsOverTheLimitWithoutWaitingForTheirEnd) {
  RequestFramer framer;
  const auto results = FeedAll(framer, "GET / HTTP/1.1\r\nX-Big: " + std::string(1 << 20, 'a'), 16 * 1024);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].refusal.status, 431);
  EXPECT_LT(framer.buffered(), 64u * 1024);
}

TEST(RequestFramer, RefusesTooManyHeaderFields) {
  std::string request = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 101; ++i) request += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(RefusalStatus(request + "\r\n"), 431);
}

TEST(RequestFramer, RefusesMalformedRequestLines) {
  EXPECT_EQ(RefusalStatus("GET /orders/ab\0cd HTTP/1.1\r\n\r\n"s), 400);
  EXPECT_EQ(RefusalStatus(std::string("GET /orders/ab\x01 HTTP/1.1\r\n\r\n")), 400);
  EXPECT_EQ(RefusalStatus("GET  /healthz HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(RefusalStatus("GET healthz HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(RefusalStatus("G(T /healthz HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(RefusalStatus("GET /healthz HTTP/9.9\r\n\r\n"), 505);
  EXPECT_EQ(RefusalStatus("GET /healthz HTTP/1.1x\r\n\r\n"), 400);
  EXPECT_EQ(RefusalStatus("GET /healthz\r\n\r\n"), 400);
  EXPECT_EQ(RefusalStatus("\x00\x01\x02garbage\r\n\r\n"s), 400);
}

TEST(RequestFramer, RefusesMalformedHeaderLines) {
  EXPECT_EQ(RefusalStatus("GET / HTTP/1.1\r\nNo colon here\r\n\r\n"), 400);
  EXPECT_EQ(RefusalStatus("GET / HTTP/1.1\r\nBad Name: v\r\n\r\n"), 400);
  EXPECT_EQ(RefusalStatus("GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n"), 400);
  EXPECT_EQ(RefusalStatus("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n"s), 400);
}

TEST(RequestFramer, StaysRefusedAfterARefusal) {
  RequestFramer framer;
  framer.Append("GET / HTTP/7.0\r\n\r\n");
  EXPECT_EQ(framer.Next().kind, Kind::kRefused);
  framer.Append("GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(framer.Next().kind, Kind::kRefused);
  EXPECT_EQ(framer.buffered(), 0u);
}

TEST(RequestFramer, BoundsTheBytesBufferedAheadOfTheAnswers) {
  RequestFramer framer({.max_buffered_bytes = 1024});
  framer.Append(std::string(2000, 'x'));
  const auto result = framer.Next();
  EXPECT_EQ(result.kind, Kind::kRefused);
  EXPECT_EQ(result.refusal.status, 413);
}

TEST(RequestFramer, SkipsBlankLinesBetweenRequests) {
  RequestFramer framer;
  const auto results = FeedAll(framer, "\r\n\r\nGET / HTTP/1.1\r\n\r\n\r\nGET /x HTTP/1.0\r\n\r\n");
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[1].request, "GET /x HTTP/1.0\r\n\r\n");
}

}  // namespace
}  // namespace orders::command
