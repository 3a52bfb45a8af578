// The text/event-stream framing of GET /events, read back with the test
// reader (the WHATWG parsing rules).
#include <gtest/gtest.h>

#include <random>

#include <orders/notifier/protocol.hpp>
#include <orders/notifier/sse_format.hpp>
#include <orders/testing/builders.hpp>
#include <orders/testing/sse_client.hpp>

namespace orders::notifier {
namespace {

using domain::Status;
using testing::Changed;
using testing::kOrderId;
using testing::Placed;
using testing::SseEvent;
using testing::SseReader;

SseEvent ReadOne(const std::string& bytes) {
  SseReader reader;
  reader.Feed(bytes);
  auto event = reader.Next();
  EXPECT_TRUE(event) << bytes;
  EXPECT_FALSE(reader.Next()) << "exactly one event in " << bytes;
  return event.value_or(SseEvent{});
}

TEST(SseFormatTest, AnUpdateCarriesOrderIdColonVersionAsItsIdAndTheWebSocketJsonAsData) {
  const auto placed = Placed();
  domain::Order before;
  before.order_id = kOrderId;
  before.status = Status::kPending;
  domain::Order after = before;
  after.status = Status::kConfirmed;
  after.version = 2;
  const std::string message = UpdateMessage(Changed(2, Status::kPending, Status::kConfirmed), &before, after);
  const std::string bytes = SseEventOf(message);
  EXPECT_EQ(bytes, std::string("id: ") + kOrderId + ":2\nevent: update\ndata: " + message + "\n\n");
  const auto event = ReadOne(bytes);
  EXPECT_EQ(event.id, std::string(kOrderId) + ":2");
  EXPECT_EQ(event.event, "update");
  EXPECT_EQ(event.data, message);
}

TEST(SseFormatTest, SnapshotsAndErrorsCarryNoIdSoTheClientKeepsItsResumePoint) {
  domain::Order order;
  order.order_id = kOrderId;
  order.version = 3;
  const auto snapshot = ReadOne(SseEventOf(SnapshotMessage(order)));
  EXPECT_EQ(snapshot.event, "snapshot");
  EXPECT_FALSE(snapshot.has_id);
  const auto error = ReadOne(SseEventOf(ErrorMessage("not_found", "No order with this orderId.")));
  EXPECT_EQ(error.event, "error");
  EXPECT_FALSE(error.has_id);
  EXPECT_EQ(error.Json()["code"], "not_found");
  const auto page = ReadOne(SseEventOf(R"({"type":"snapshot","all":true,"page":0,"last":true,"orders":[]})"));
  EXPECT_EQ(page.event, "snapshot");
  EXPECT_FALSE(page.has_id);
}

TEST(SseFormatTest, ATopicMessageIsIdentifiedByItsEventId) {
  const std::string message =
      R"({"type":"message","topic":"order.*","id":"7f1c2a4e-0000-4000-8000-000000000001","payload":{"x":1}})";
  const auto event = ReadOne(SseEventOf(message));
  EXPECT_EQ(event.event, "message");
  EXPECT_EQ(event.id, "7f1c2a4e-0000-4000-8000-000000000001");
  EXPECT_EQ(event.Json()["payload"]["x"], 1);
}

TEST(SseFormatTest, LineBreaksInDataBecomeSeveralDataLinesThatJoinBackToTheSameText) {
  const std::string data = "first\nsecond\r\nthird\rfourth";
  const std::string bytes = EncodeSseEvent("message", "", data);
  EXPECT_EQ(bytes, "event: message\ndata: first\ndata: second\ndata: third\ndata: fourth\n\n");
  EXPECT_EQ(ReadOne(bytes).data, "first\nsecond\nthird\nfourth");
}

TEST(SseFormatTest, AnIdOrEventNameWithALineBreakIsLeftOutRatherThanSplittingTheEvent) {
  const std::string bytes = EncodeSseEvent("update\nevent: forged", "a\nid: b", "{}");
  EXPECT_EQ(bytes, "data: {}\n\n");
  const std::string with_nul = EncodeSseEvent("update", std::string("a\0b", 3), "{}");
  EXPECT_EQ(with_nul, "event: update\ndata: {}\n\n");
}

TEST(SseFormatTest, SomethingThatIsNotAHubMessageIsAPlainMessageEvent) {
  const auto header = DescribeHubMessage("not json");
  EXPECT_EQ(header.event, "message");
  EXPECT_EQ(header.id, "");
  EXPECT_EQ(DescribeHubMessage(R"({"type":"update","orderId":5})").id, "") << "no id without orderId and version";
}

TEST(SseFormatTest, HeartbeatIsACommentAndRetryAHint) {
  SseReader reader;
  reader.Feed(std::string(kSseHeartbeat) + SseRetryHint(std::chrono::milliseconds(2500)));
  const auto heartbeat = reader.Next();
  ASSERT_TRUE(heartbeat);
  EXPECT_EQ(heartbeat->comment, "hb");
  EXPECT_EQ(heartbeat->event, "") << "a comment is no event";
  const auto retry = reader.Next();
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->retry, 2500);
}

TEST(SseFormatTest, TheResponseHeadIsAnUncachedEventStreamWithTheRoutersCorsHeaders) {
  const std::string head = SseResponseHead(
      {{"Access-Control-Allow-Origin", "https://shop.example"}, {"Vary", "Origin"}, {"X-Bad", "a\r\nb"}});
  EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_NE(head.find("Content-Type: text/event-stream; charset=utf-8\r\n"), std::string::npos);
  EXPECT_NE(head.find("Cache-Control: no-store\r\n"), std::string::npos);
  EXPECT_NE(head.find("Access-Control-Allow-Origin: https://shop.example\r\n"), std::string::npos);
  EXPECT_EQ(head.find("X-Bad"), std::string::npos) << "a header value with a line break is dropped";
  EXPECT_EQ(head.find("Content-Length"), std::string::npos);
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");
}

TEST(SseFormatTest, TheSameMessageFannedOutIsEncodedOnceIntoOneSharedBuffer) {
  SseEventCache cache;
  const std::string message = ErrorMessage("not_found", "gone");
  const auto first = cache.EventOf(message);
  const auto second = cache.EventOf(message);
  EXPECT_EQ(first.frame.get(), second.frame.get());
  EXPECT_TRUE(first.is_error);
  const auto other = cache.EventOf(R"({"type":"snapshot","orders":[]})");
  EXPECT_NE(other.frame.get(), first.frame.get());
  EXPECT_FALSE(other.is_error);
}

TEST(SseFormatTest, AnyDataComesBackWhole_LineEndsNormalisedToLf) {
  std::mt19937 random(16);
  const std::string alphabet = std::string("ab {}\":\r\n\r\n\x01\xff", 14);
  for (int round = 0; round < 2000; ++round) {
    std::string data(random() % 40, ' ');
    for (char& c : data) c = alphabet[random() % alphabet.size()];
    std::string expected;
    for (std::size_t i = 0; i < data.size(); ++i) {
      if (data[i] == '\r') {
        expected += '\n';
        if (i + 1 < data.size() && data[i + 1] == '\n') ++i;
      } else {
        expected += data[i];
      }
    }
    const auto event = ReadOne(EncodeSseEvent("update", "o:1", data));
    ASSERT_EQ(event.data, expected) << "round " << round;
    ASSERT_EQ(event.id, "o:1");
    ASSERT_EQ(event.event, "update");
  }
}

}  // namespace
}  // namespace orders::notifier
