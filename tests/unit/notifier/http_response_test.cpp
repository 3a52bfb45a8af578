#include <gtest/gtest.h>

#include <orders/notifier/http_response.hpp>

namespace orders::notifier {
namespace {

using State = HttpResponseReader::State;

TEST(HttpUrl, CommandApiUrlsParseIntoHostPortAndBasePath) {
  const auto plain = ParseHttpUrl("http://127.0.0.1:8080");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, "8080");
  EXPECT_EQ(plain->base_path, "");
  EXPECT_EQ(plain->host_header, "127.0.0.1:8080");
  const auto based = ParseHttpUrl("http://commands.internal/api/");
  ASSERT_TRUE(based);
  EXPECT_EQ(based->port, "80");
  EXPECT_EQ(based->base_path, "/api");
  const auto v6 = ParseHttpUrl("http://[::1]:9000");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  for (const char* bad : {"https://x", "http://", "http://:80", "http://user@x", "http://x:0", "http://x:70000",
                          "http://x:y", "http://x/?q", "ftp://x", "http://[::1"}) {
    EXPECT_FALSE(ParseHttpUrl(bad)) << bad;
  }
}

// The host goes into every request's Host header: a control character in COMMAND_API_URL would
// have added a header line of its own.
TEST(HttpUrl, ControlCharactersInTheCommandApiUrlAreRefused) {
  for (const char* bad : {"http://api\r\nX-Injected:1", "http://api\x01:8080", "http://api:8080/\x7f"}) {
    EXPECT_FALSE(ParseHttpUrl(bad)) << bad;
  }
  const auto normalised = ParseHttpUrl("http://Commands.Internal:80/api");
  ASSERT_TRUE(normalised);
  EXPECT_EQ(normalised->host, "commands.internal");
  EXPECT_EQ(normalised->host_header, "commands.internal") << "the default port is left out";
}

TEST(HttpResponseReader, ABodyWithContentLengthArrivingInPieces) {
  HttpResponseReader reader;
  EXPECT_EQ(reader.Feed("HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Le"), State::kIncomplete);
  EXPECT_EQ(reader.Feed("ngth: 7\r\n\r\n{\"a\":"), State::kIncomplete);
  EXPECT_EQ(reader.Feed("1}"), State::kComplete);
  EXPECT_EQ(reader.status(), 201);
  EXPECT_EQ(reader.body(), "{\"a\":1}");
  EXPECT_TRUE(reader.keep_alive());
}

TEST(HttpResponseReader, AChunkedBody) {
  HttpResponseReader reader;
  EXPECT_EQ(reader.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3;x=y\r\n:1}\r\n"),
            State::kIncomplete);
  EXPECT_EQ(reader.Feed("0\r\n\r\n"), State::kComplete);
  EXPECT_EQ(reader.body(), "{\"a\":1}");
  EXPECT_TRUE(reader.keep_alive());
}

TEST(HttpResponseReader, ABodyEndedByTheConnectionAndConnectionClose) {
  HttpResponseReader reader;
  EXPECT_EQ(reader.Feed("HTTP/1.1 200 OK\r\n\r\n{}"), State::kIncomplete);
  EXPECT_EQ(reader.FeedEnd(), State::kComplete);
  EXPECT_EQ(reader.body(), "{}");
  EXPECT_FALSE(reader.keep_alive());
  HttpResponseReader closing;
  EXPECT_EQ(closing.Feed("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"), State::kComplete);
  EXPECT_FALSE(closing.keep_alive());
}

TEST(HttpResponseReader, MalformedOrOversizedAnswersAreBad) {
  for (const char* bad :
       {"NOTHTTP 200\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}) {
    HttpResponseReader reader;
    EXPECT_EQ(reader.Feed(bad), State::kBad) << bad;
  }
  HttpResponseReader small(16);
  EXPECT_EQ(small.Feed("HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n"), State::kBad);
  HttpResponseReader cut;
  cut.Feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}");
  EXPECT_EQ(cut.FeedEnd(), State::kBad) << "a body cut short is not an answer";
}

}  // namespace
}  // namespace orders::notifier
