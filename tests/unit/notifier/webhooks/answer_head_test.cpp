#include <gtest/gtest.h>

#include <optional>
#include <string>

#include <orders/notifier/webhooks/answer_head.hpp>

namespace orders::notifier::webhooks {
namespace {

using State = AnswerHead::State;

TEST(AnswerHead, TheStatusIsKnownOnceTheHeadersEndWithoutReadingTheBody) {
  AnswerHead head(1024);
  EXPECT_EQ(head.Feed("HTTP/1.1 204 No Content\r\nServer: x"), State::kIncomplete);
  EXPECT_EQ(head.status(), 0);
  EXPECT_EQ(head.Feed("\r\n\r\n"), State::kComplete);
  EXPECT_EQ(head.status(), 204);
  AnswerHead with_body(1024);
  EXPECT_EQ(with_body.Feed("HTTP/1.0 500 Internal\r\nContent-Length: 100000\r\n\r\n{\"partial"), State::kComplete);
  EXPECT_EQ(with_body.status(), 500);
}

TEST(AnswerHead, ArrivesByteByByte) {
  const std::string answer = "HTTP/1.1 302 Found\r\nLocation: http://elsewhere/\r\n\r\n";
  AnswerHead head(1024);
  for (std::size_t i = 0; i + 1 < answer.size(); ++i) {
    ASSERT_EQ(head.Feed(answer.substr(i, 1)), State::kIncomplete) << i;
  }
  EXPECT_EQ(head.Feed(answer.substr(answer.size() - 1)), State::kComplete);
  EXPECT_EQ(head.status(), 302);
}

TEST(AnswerHead, InterimAnswersAreSkipped) {
  AnswerHead head(1024);
  EXPECT_EQ(head.Feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n\r\n"), State::kComplete);
  EXPECT_EQ(head.status(), 201);
}

TEST(AnswerHead, AHeadLongerThanTheLimitIsTooLargeAndNoMoreIsTaken) {
  AnswerHead head(64);
  EXPECT_EQ(head.Room(), 64u);
  EXPECT_EQ(head.Feed("HTTP/1.1 200 OK\r\nX-Padding: " + std::string(100, 'a')), State::kTooLarge);
  EXPECT_EQ(head.Room(), 0u);
  // Exactly at the limit is still fine.
  const std::string exact = "HTTP/1.1 200 OK\r\n\r\n";
  AnswerHead fits(exact.size());
  EXPECT_EQ(fits.Feed(exact), State::kComplete);
}

TEST(AnswerHead, WhatIsNotHttpIsMalformedAsSoonAsItShows) {
  for (const char* bad : {"SSH-2.0-OpenSSH\r\n", "<html>", "HTTP/2 200\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n",
                          "HTTP/1.1 200OK\r\n\r\n", "HTTP/1.1 099 Low\r\n\r\n", "http/1.1 200 OK\r\n\r\n"}) {
    AnswerHead head(1024);
    EXPECT_EQ(head.Feed(bad), State::kMalformed) << bad;
  }
  AnswerHead early(1024);
  EXPECT_EQ(early.Feed("X"), State::kMalformed) << "one wrong byte is enough";
}

TEST(AnswerHead, StartedTellsWhetherAnyAnswerByteArrived) {
  AnswerHead head(1024);
  EXPECT_FALSE(head.started());
  head.Feed("HT");
  EXPECT_TRUE(head.started());
}

// Keep-alive: only an HTTP/1.1 answer with a framed body and no `Connection: close` leaves the
// connection fit for another request.
std::optional<std::size_t> ReusableAfter(const std::string& answer) {
  AnswerHead head(4096);
  EXPECT_EQ(head.Feed(answer), State::kComplete) << answer;
  return head.ReusableBodyLength();
}

TEST(AnswerHead, AFramedHttp11AnswerLeavesTheConnectionReusableAfterItsBody) {
  EXPECT_EQ(ReusableAfter("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n"), 11u);
  EXPECT_EQ(ReusableAfter("HTTP/1.1 200 OK\r\ncontent-length:  0 \r\n\r\n"), 0u);
  EXPECT_EQ(ReusableAfter("HTTP/1.1 204 No Content\r\nServer: x\r\n\r\n"), 0u) << "204 never has a body";
  EXPECT_EQ(ReusableAfter("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n"), 2u);
}

TEST(AnswerHead, ConnectionCloseHttp10ChunkedOrUnframedAnswersAreNotReusable) {
  EXPECT_EQ(ReusableAfter("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n"), std::nullopt);
  EXPECT_EQ(ReusableAfter("HTTP/1.1 200 OK\r\nConnection: Keep-Alive, Close\r\nContent-Length: 2\r\n\r\n"),
            std::nullopt);
  EXPECT_EQ(ReusableAfter("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n"), std::nullopt);
  EXPECT_EQ(ReusableAfter("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), std::nullopt);
  EXPECT_EQ(ReusableAfter("HTTP/1.1 200 OK\r\nServer: x\r\n\r\n"), std::nullopt) << "the body ends at the close";
  EXPECT_EQ(ReusableAfter("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n"), std::nullopt);
  EXPECT_EQ(ReusableAfter("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"), std::nullopt);
  EXPECT_EQ(ReusableAfter("HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n"), std::nullopt);
}

TEST(AnswerHead, BodyBytesReadWithTheHeadAreKeptAsSurplus) {
  AnswerHead head(4096);
  ASSERT_EQ(head.Feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"ok\""),
            State::kComplete);
  EXPECT_EQ(head.ReusableBodyLength(), 11u);
  EXPECT_EQ(head.Surplus(), "{\"ok\"");
}

}  // namespace
}  // namespace orders::notifier::webhooks
