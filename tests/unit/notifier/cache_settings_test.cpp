#include <gtest/gtest.h>

#include <orders/notifier/cache_settings.hpp>

namespace orders::notifier {
namespace {

TEST(CacheSettings, DefaultsToAQuarterGibibyteWithLookupsOnlyGivenADatabase) {
  const auto without = LoadCacheSettings({});
  ASSERT_TRUE(without.settings);
  EXPECT_EQ(without.settings->max_bytes, 256u * 1024 * 1024);
  EXPECT_FALSE(without.settings->read_model_lookup);
  EXPECT_EQ(without.settings->lookup_timeout, std::chrono::milliseconds(3000));
  const auto with = LoadCacheSettings({{"DATABASE_URL", "postgresql://orders@127.0.0.1:55432/orders"}});
  ASSERT_TRUE(with.settings);
  EXPECT_TRUE(with.settings->read_model_lookup);
}

TEST(CacheSettings, TakesBytesWithOrWithoutABinarySuffix) {
  EXPECT_EQ(ParseByteSize("65536"), 65536u);
  EXPECT_EQ(ParseByteSize("64KiB"), 65536u);
  EXPECT_EQ(ParseByteSize("512MiB"), 512u * 1024 * 1024);
  EXPECT_EQ(ParseByteSize("2GiB"), 2ull * 1024 * 1024 * 1024);
  for (const std::string bad : {"", "MiB", "-1", "1.5GiB", "12 MiB", "1mb", "0x100", "99999999999999999999GiB"}) {
    EXPECT_FALSE(ParseByteSize(bad)) << bad;
  }
}

TEST(CacheSettings, EveryBadValueIsNamedAtOnce) {
  const auto result = LoadCacheSettings(
      {{"NOTIFIER_CACHE_BYTES", "1KiB"}, {"NOTIFIER_READ_MODEL_LOOKUP", "yes"}, {"NOTIFIER_LOOKUP_TIMEOUT_MS", "50"}});
  EXPECT_FALSE(result.settings);
  ASSERT_EQ(result.problems.size(), 3u);
  EXPECT_NE(result.problems[0].find("NOTIFIER_CACHE_BYTES"), std::string::npos);
  EXPECT_NE(result.problems[1].find("NOTIFIER_READ_MODEL_LOOKUP"), std::string::npos);
  EXPECT_NE(result.problems[2].find("NOTIFIER_LOOKUP_TIMEOUT_MS"), std::string::npos);
}

TEST(CacheSettings, LookupsCanBeTurnedOffBesideADatabaseAndOnWithout) {
  const auto off = LoadCacheSettings({{"DATABASE_URL", "postgresql://x/y"}, {"NOTIFIER_READ_MODEL_LOOKUP", "off"}});
  ASSERT_TRUE(off.settings);
  EXPECT_FALSE(off.settings->read_model_lookup);
  const auto on = LoadCacheSettings({{"NOTIFIER_READ_MODEL_LOOKUP", "on"}, {"NOTIFIER_CACHE_BYTES", "1GiB"}});
  ASSERT_TRUE(on.settings);
  EXPECT_TRUE(on.settings->read_model_lookup);
  EXPECT_EQ(on.settings->max_bytes, 1024u * 1024 * 1024);
}

}  // namespace
}  // namespace orders::notifier
