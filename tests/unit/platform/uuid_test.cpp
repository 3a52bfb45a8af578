#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <thread>
#include <vector>

#include <orders/platform/uuid.hpp>

namespace orders::platform {
namespace {

TEST(Uuid, IsAVersion4UuidInCanonicalLowerCaseForm) {
  const std::regex canonical("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  for (int i = 0; i < 1000; ++i) {
    const auto id = NewUuid();
    ASSERT_TRUE(std::regex_match(id, canonical)) << id;
  }
}

TEST(Uuid, NeverRepeatsAcrossManyRefillsAndThreads) {
  // Each thread draws well past its 4 KiB buffer (256 UUIDs) several times.
  std::vector<std::vector<std::string>> drawn(4);
  std::vector<std::thread> threads;
  for (auto& ids : drawn) {
    threads.emplace_back([&ids] {
      for (int i = 0; i < 5000; ++i) ids.push_back(NewUuid());
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::string> unique;
  for (const auto& ids : drawn) unique.insert(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), 20000u);
}

TEST(Uuid, UsesEveryHexDigitInTheRandomPart) {
  // A stuck or zeroed random source would show as missing digits.
  std::set<char> digits;
  for (int i = 0; i < 100; ++i) {
    for (char c : NewUuid()) digits.insert(c);
  }
  EXPECT_EQ(digits.size(), 17u);  // 0-9, a-f and '-'
}

}  // namespace
}  // namespace orders::platform
