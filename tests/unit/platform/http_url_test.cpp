#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include <orders/platform/http_url.hpp>
#include <orders/platform/jwks_source.hpp>

namespace orders::platform {
namespace {

TEST(HttpUrl, SplitsSchemeHostPortPathAndQuery) {
  const auto url = ParseHttpUrl("HTTPS://Hooks.Example.COM:8443/in/orders?team=a&x=%20");
  ASSERT_TRUE(url) << url.error().message;
  EXPECT_EQ(url->scheme, "https");
  EXPECT_TRUE(url->https());
  EXPECT_EQ(url->host, "hooks.example.com");
  EXPECT_FALSE(url->ipv6_literal);
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->path, "/in/orders");
  ASSERT_TRUE(url->query);
  EXPECT_EQ(*url->query, "team=a&x=%20");
  EXPECT_EQ(url->Target(), "/in/orders?team=a&x=%20");
  EXPECT_EQ(url->HostHeader(), "hooks.example.com:8443");
}

TEST(HttpUrl, DefaultsThePortBySchemeAndThePathToTheRoot) {
  const auto plain = ParseHttpUrl("http://example.com");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->port, 80);
  EXPECT_EQ(plain->path, "");
  EXPECT_FALSE(plain->query);
  EXPECT_EQ(plain->Target(), "/");
  EXPECT_EQ(plain->HostHeader(), "example.com");
  const auto secure = ParseHttpUrl("https://example.com?only=query");
  ASSERT_TRUE(secure);
  EXPECT_EQ(secure->port, 443);
  EXPECT_EQ(secure->Target(), "/?only=query");
  const auto empty_query = ParseHttpUrl("http://example.com/a?");
  ASSERT_TRUE(empty_query);
  ASSERT_TRUE(empty_query->query);
  EXPECT_EQ(*empty_query->query, "");
}

TEST(HttpUrl, BracketedIpv6HostsLoseTheirBracketsAndKeepThemInTheHostHeader) {
  const auto url = ParseHttpUrl("http://[::1]:9000/hook");
  ASSERT_TRUE(url) << url.error().message;
  EXPECT_EQ(url->host, "::1");
  EXPECT_TRUE(url->ipv6_literal);
  EXPECT_EQ(url->port, 9000);
  EXPECT_EQ(url->HostHeader(), "[::1]:9000");
  const auto mapped = ParseHttpUrl("http://[::FFFF:127.0.0.1]");
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->host, "::ffff:127.0.0.1");
  EXPECT_EQ(mapped->HostHeader(), "[::ffff:127.0.0.1]");
}

TEST(HttpUrl, RefusesOtherSchemesWithAReasonThatDoesNotRepeatTheUrl) {
  for (const char* url :
       {"file:///etc/passwd", "ftp://example.com/", "gopher://x", "javascript:alert(1)", "mailto:ops@example.com"}) {
    const auto parsed = ParseHttpUrl(url);
    ASSERT_FALSE(parsed) << url;
    EXPECT_EQ(parsed.error().message, "the URL must use http or https") << url;
  }
}

TEST(HttpUrl, RefusesCredentialsFragmentsAndBackslashes) {
  EXPECT_EQ(ParseHttpUrl("http://user:pass@example.com/").error().message, "the URL must not contain credentials");
  EXPECT_EQ(ParseHttpUrl("http://evil.com@good.com/").error().message, "the URL must not contain credentials");
  EXPECT_EQ(ParseHttpUrl("http://example.com/#top").error().message, "the URL must not contain a fragment");
  EXPECT_EQ(ParseHttpUrl("http://evil.com\\@good.com/").error().message, "the URL must not contain a backslash");
  // An '@' in the path is not userinfo.
  EXPECT_TRUE(ParseHttpUrl("http://example.com/users/@me"));
}

TEST(HttpUrl, RefusesControlCharactersSpacesAndNonAscii) {
  for (const std::string& url :
       {std::string("http://example.com/a\r\nX-Injected: 1"), std::string("http://exa mple.com/"),
        std::string("http://example.com/\t"), std::string("http://example.com/\x7f"),
        std::string("http://example.com/\0", 20), std::string("http://ex\xc3\xa4mple.com/")}) {
    const auto parsed = ParseHttpUrl(url);
    ASSERT_FALSE(parsed) << url;
    EXPECT_EQ(parsed.error().message, "the URL contains spaces, control or non-ASCII characters");
  }
}

TEST(HttpUrl, RefusesUrlsLongerThan2048Bytes) {
  const std::string prefix = "http://example.com/";
  const std::string longest = prefix + std::string(kMaxHttpUrlBytes - prefix.size(), 'a');
  EXPECT_TRUE(ParseHttpUrl(longest));
  const auto too_long = ParseHttpUrl(longest + "a");
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().message, "the URL is longer than 2048 bytes");
}

TEST(HttpUrl, RefusesMalformedAuthorities) {
  for (const char* url : {"",
                          "example.com/path",
                          "http:example.com",
                          "http:/example.com",
                          "http://",
                          "http:///path",
                          "http://:80",
                          "http://x:0",
                          "http://x:70000",
                          "http://x:y",
                          "http://x:",
                          "http://x:+80",
                          "http://[::1",
                          "http://[::1]x",
                          "http://[::1]:",
                          "http://[not:an:address]/",
                          "http://[fe80::1%25eth0]/",
                          "http://a..b/",
                          "http://a b/",
                          "http://ex!ample.com/",
                          "http://example.com:80:80/",
                          "http://1.2.3.4:80@x/",
                          "1http://x/"}) {
    EXPECT_FALSE(ParseHttpUrl(url)) << url;
  }
}

// inet_aton, behind getaddrinfo, reads all of these as 127.0.0.1: a check of the host by its
// spelling would miss them, so they are refused instead.
TEST(HttpUrl, RefusesNumericHostsThatAreNotDottedQuads) {
  for (const char* url : {"http://127.1/", "http://2130706433/", "http://0x7f000001/", "http://0x7f.0.0.1/",
                          "http://017.0.0.1/", "http://127.0.0.1./", "http://256.0.0.1/", "http://1.2.3.4.5/"}) {
    const auto parsed = ParseHttpUrl(url);
    ASSERT_FALSE(parsed) << url;
    EXPECT_EQ(parsed.error().message, "the URL's host is malformed") << url;
  }
  EXPECT_TRUE(ParseHttpUrl("http://127.0.0.1/"));
  EXPECT_TRUE(ParseHttpUrl("http://10.0.0.1x/")) << "a name whose last label is not a number stays a name";
  EXPECT_TRUE(ParseHttpUrl("http://api.example.com./")) << "a fully qualified name keeps its final dot";
}

}  // namespace
}  // namespace orders::platform

namespace orders::platform {
namespace {

// The JWKS source reads JWKS_URL with the shared parser: what it refuses is refused before any
// connection (port 1 on loopback would answer "cannot connect"). Its own parser sent a fragment on
// the request line and handed a port like "http" to the resolver as a service name.
TEST(JwksHttpSource, RefusesUrlsTheSharedParserRefusesBeforeConnecting) {
  for (const char* url : {"http://127.0.0.1:1/keys#current", "http://127.0.0.1:http/keys", "https://127.0.0.1:1/keys",
                          "http://user@127.0.0.1:1/keys", "http://127.0.0.1:1/ke ys"}) {
    const auto fetched = HttpJwksSource(url, std::chrono::milliseconds(200))->Fetch();
    ASSERT_FALSE(fetched) << url;
    EXPECT_EQ(fetched.error().message, "not an http:// URL") << url;
  }
  const auto reachable = HttpJwksSource("http://127.0.0.1:1/keys?v=2", std::chrono::milliseconds(200))->Fetch();
  ASSERT_FALSE(reachable);
  EXPECT_EQ(reachable.error().message, "cannot connect to 127.0.0.1:1") << "a query is still fine";
}

}  // namespace
}  // namespace orders::platform
