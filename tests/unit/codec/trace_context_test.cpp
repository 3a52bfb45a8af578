#include <gtest/gtest.h>

#include <orders/codec/event_codec.hpp>
#include <orders/codec/trace_context.hpp>

namespace orders::codec {
namespace {

constexpr const char* kExample = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceContext, ReadsAndWritesTheW3cExample) {
  const auto trace = ParseTraceParent(kExample);
  ASSERT_TRUE(trace);
  EXPECT_EQ(trace->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(trace->parent_id, "00f067aa0ba902b7");
  EXPECT_EQ(trace->flags, 1);
  EXPECT_EQ(FormatTraceParent(*trace), kExample);
}

TEST(TraceContext, RefusesMalformedAndAllZeroIdsAndVersionFf) {
  for (const char* bad : {"", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", "garbage",
                          "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                          "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                          "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
                          "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}) {
    EXPECT_FALSE(ParseTraceParent(bad)) << bad;
  }
}

TEST(TraceContext, ALaterVersionIsReadByItsFirstFourFields) {
  const auto trace = ParseTraceParent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes-next");
  ASSERT_TRUE(trace);
  EXPECT_EQ(FormatTraceParent(*trace), kExample);
}

TEST(TraceContext, AChildSpanKeepsTheTraceAndTakesANewParent) {
  const auto parent = *ParseTraceParent(kExample);
  const auto child = ChildSpan(parent);
  EXPECT_EQ(child.trace_id, parent.trace_id);
  EXPECT_NE(child.parent_id, parent.parent_id);
  EXPECT_EQ(child.flags, parent.flags);
  EXPECT_TRUE(ParseTraceParent(FormatTraceParent(child)));
  const auto fresh = NewTrace();
  EXPECT_NE(fresh.trace_id, NewTrace().trace_id);
  EXPECT_TRUE(ParseTraceParent(FormatTraceParent(fresh)));
}

TEST(TraceContext, TravelsAsARecordHeaderAndAMalformedOneIsDroppedNotRefused) {
  EventMetadata metadata;
  metadata.event_id = "e-1";
  metadata.trace_parent = kExample;
  const auto headers = EventHeaders("order.placed.v1", "o-1", domain::Timestamp{}, metadata);
  EventMetadata read;
  EXPECT_EQ(DecodeMetadata(headers, read), "");
  EXPECT_EQ(read.trace_parent, kExample);

  Headers broken = headers;
  for (auto& [name, value] : broken) {
    if (name == kTraceParentHeader) value = "not-a-trace";
  }
  EventMetadata dropped;
  EXPECT_EQ(DecodeMetadata(broken, dropped), "");
  EXPECT_FALSE(dropped.trace_parent);
}

}  // namespace
}  // namespace orders::codec
