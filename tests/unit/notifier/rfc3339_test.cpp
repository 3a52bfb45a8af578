#include <gtest/gtest.h>

#include <orders/notifier/webhooks/delivery_cursor.hpp>
#include <orders/notifier/webhooks/rfc3339.hpp>
#include <orders/notifier/webhooks/webhook_store_settings.hpp>

namespace orders::notifier::webhooks {
namespace {

std::int64_t Micros(std::string_view text) { return MicrosSinceEpoch(ParseRfc3339(text).value()); }

TEST(Rfc3339, ReadsUtcWithOrWithoutAFraction) {
  EXPECT_EQ(Micros("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(Micros("2026-12-05T00:00:00Z"), 1'796'428'800'000'000);
  EXPECT_EQ(Micros("2026-12-05t00:00:00.5z"), 1'796'428'800'500'000);
  EXPECT_EQ(Micros("2026-12-05T00:00:00.123456789Z"), 1'796'428'800'123'456);
}

TEST(Rfc3339, AppliesNumericOffsets) {
  EXPECT_EQ(Micros("2026-12-05T01:30:00+01:30"), Micros("2026-12-05T00:00:00Z"));
  EXPECT_EQ(Micros("2026-12-04T23:00:00-01:00"), Micros("2026-12-05T00:00:00Z"));
}

TEST(Rfc3339, RefusesAnythingElse) {
  for (const char* text :
       {"", "2026-12-05", "2026-12-05T00:00:00", "2026-12-05 00:00:00Z", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
        "2026-12-05T24:00:00Z", "2026-12-05T00:00:00.Z", "2026-12-05T00:00:00.1234567890Z", "2026-12-05T00:00:00+0100",
        "2026-12-05T00:00:00Zjunk", "+026-12-05T00:00:00Z", "2026-12-05T00:00:00+24:00"}) {
    EXPECT_FALSE(ParseRfc3339(text)) << text;
  }
}

TEST(DeliveryCursor, RoundTripsAndRefusesForeignText) {
  const DeliveryCursor cursor{1'796'428'800'123'456, "evt:with:colons"};
  const auto decoded = DecodeDeliveryCursor(EncodeDeliveryCursor(cursor));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->event_time_us, cursor.event_time_us);
  EXPECT_EQ(decoded->event_id, cursor.event_id);
  for (const char* text : {"", "!!", "MTIz", "OmFi", "eDphYg", "MTI6"})
    EXPECT_FALSE(DecodeDeliveryCursor(text)) << text;
}

TEST(WebhookStoreSettings, TheSchemaIsNotifierUnlessSet) {
  EXPECT_EQ(LoadWebhookStoreSettings({}).settings->schema, "notifier");
  EXPECT_EQ(LoadWebhookStoreSettings({{"WEBHOOK_SCHEMA", "hooks_2"}}).settings->schema, "hooks_2");
}

TEST(WebhookStoreSettings, ASchemaNameThatIsNotLowerCaseIdentifierIsAProblem) {
  for (const char* bad :
       {"Bad-Name", "1abc", "a b", "x;drop", "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl"}) {
    const auto result = LoadWebhookStoreSettings({{"WEBHOOK_SCHEMA", bad}});
    EXPECT_FALSE(result.settings) << bad;
    ASSERT_EQ(result.problems.size(), 1u) << bad;
    EXPECT_NE(result.problems[0].find("WEBHOOK_SCHEMA"), std::string::npos);
  }
}

}  // namespace
}  // namespace orders::notifier::webhooks
