#include <gtest/gtest.h>

#include <orders/platform/restinio/method_rewriter.hpp>

namespace orders::platform::http {
namespace {

TEST(MethodRewriter, KnownMethodsPassUntouched) {
  MethodRewriter rewriter;
  const std::string request = "GET /orders HTTP/1.1\r\nHost: a\r\n\r\nPUT /x HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi";
  EXPECT_EQ(rewriter.Feed(request), request);
}

TEST(MethodRewriter, AnUnknownMethodBecomesThePlaceholder) {
  MethodRewriter rewriter;
  EXPECT_EQ(rewriter.Feed("QUERY /orders HTTP/1.1\r\nHost: a\r\n\r\n"), "UNLINK /orders HTTP/1.1\r\nHost: a\r\n\r\n");
}

TEST(MethodRewriter, EveryRequestOfAKeepAliveStreamIsLookedAt) {
  MethodRewriter rewriter;
  EXPECT_EQ(rewriter.Feed("GET / HTTP/1.1\r\n\r\nBREW / HTTP/1.1\r\n\r\n\r\nFOO / HTTP/1.1\r\n\r\n"),
            "GET / HTTP/1.1\r\n\r\nUNLINK / HTTP/1.1\r\n\r\n\r\nUNLINK / HTTP/1.1\r\n\r\n");
}

TEST(MethodRewriter, BodiesAreSkippedByTheirLengthEvenWhenTheyLookLikeRequests) {
  MethodRewriter rewriter;
  const std::string body = "FOO / HTTP/1.1\r\n\r\n";
  const std::string first = "POST /x HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  EXPECT_EQ(rewriter.Feed(first + "QUERY / HTTP/1.1\r\n\r\n"), first + "UNLINK / HTTP/1.1\r\n\r\n");
}

TEST(MethodRewriter, BytesMayArriveOneAtATime) {
  MethodRewriter rewriter;
  const std::string input = "GET / HTTP/1.1\r\ncontent-length: 3\r\n\r\nabcQUERY /q HTTP/1.1\r\n\r\n";
  std::string output;
  for (char c : input) output += rewriter.Feed(std::string_view(&c, 1));
  EXPECT_EQ(output, "GET / HTTP/1.1\r\ncontent-length: 3\r\n\r\nabcUNLINK /q HTTP/1.1\r\n\r\n");
}

TEST(MethodRewriter, APartialMethodIsHeldBackUntilItsEnd) {
  MethodRewriter rewriter;
  EXPECT_EQ(rewriter.Feed("QU"), "");
  EXPECT_EQ(rewriter.Feed("ERY / HTTP/1.1\r\n\r\n"), "UNLINK / HTTP/1.1\r\n\r\n");
}

TEST(MethodRewriter, WhatItCannotFrameIsPassedThroughForTheParserToJudge) {
  for (const std::string head :
       {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"}) {
    MethodRewriter rewriter;
    const std::string rest = "QUERY / HTTP/1.1\r\n\r\n";
    EXPECT_EQ(rewriter.Feed(head + rest), head + rest) << head;
    EXPECT_TRUE(rewriter.passing_through()) << head;
  }
  MethodRewriter malformed;
  EXPECT_EQ(malformed.Feed("G<T / HTTP/1.1\r\n\r\n"), "G<T / HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(malformed.passing_through());
}

}  // namespace
}  // namespace orders::platform::http
