#include <gtest/gtest.h>

#include <random>

#include <orders/notifier/frame_codec.hpp>

namespace orders::notifier {
namespace {

constexpr std::array<std::uint8_t, 4> kMask{0x12, 0x34, 0x56, 0x78};

std::optional<WsError> FeedAll(FrameParser& parser, const std::string& bytes, std::vector<WsMessage>& out) {
  return parser.Feed(bytes, out);
}

TEST(FrameCodec, MaskedTextRoundTripsWhenFedByteByByte) {
  FrameParser parser;
  const std::string frame = EncodeFrame(Opcode::kText, "hello \xE2\x9C\x93", true, kMask);
  std::vector<WsMessage> out;
  for (char byte : frame) ASSERT_FALSE(parser.Feed(std::string_view(&byte, 1), out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].opcode, Opcode::kText);
  EXPECT_EQ(out[0].payload, "hello \xE2\x9C\x93");
}

TEST(FrameCodec, AllLengthEncodingsRoundTrip) {
  for (std::size_t size : {0u, 125u, 126u, 65535u, 65536u}) {
    FrameParser parser(FrameLimits{1 << 20, 1 << 20});
    std::vector<WsMessage> out;
    const std::string payload(size, 'x');
    ASSERT_FALSE(FeedAll(parser, EncodeFrame(Opcode::kText, payload, true, kMask), out)) << size;
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].payload.size(), size);
  }
}

TEST(FrameCodec, HeaderDeclaringOneGibibyteIsRefusedWith1009BeforeAnyPayload) {
  FrameParser parser;
  std::string header = {static_cast<char>(0x81), static_cast<char>(0xFF)};
  const std::uint64_t length = 1ULL << 30;
  for (int shift = 56; shift >= 0; shift -= 8) header.push_back(static_cast<char>((length >> shift) & 0xFF));
  header += "\x01\x02\x03\x04";
  std::vector<WsMessage> out;
  const auto error = parser.Feed(header, out);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->close_code, close_code::kTooBig);
}

TEST(FrameCodec, UnmaskedClientFrameIs1002) {
  FrameParser parser;
  std::vector<WsMessage> out;
  const auto error = parser.Feed(EncodeFrame(Opcode::kText, "hi"), out);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->close_code, close_code::kProtocolError);
}

TEST(FrameCodec, InvalidUtf8TextIs1007) {
  FrameParser parser;
  std::vector<WsMessage> out;
  const auto error = parser.Feed(EncodeFrame(Opcode::kText, "\xC3\x28", true, kMask), out);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->close_code, close_code::kInvalidPayload);
}

TEST(FrameCodec, ProtocolViolationsAre1002) {
  const std::vector<std::string> frames = {
      // reserved bit
      std::string{static_cast<char>(0xC1), static_cast<char>(0x80), 1, 2, 3, 4},
      // unknown opcode 3
      std::string{static_cast<char>(0x83), static_cast<char>(0x80), 1, 2, 3, 4},
      // fragmented ping
      EncodeFrame(Opcode::kPing, "x", false, kMask),
      // ping over 125 bytes
      EncodeFrame(Opcode::kPing, std::string(126, 'p'), true, kMask),
      // continuation without a message
      EncodeFrame(Opcode::kContinuation, "x", true, kMask),
      // close with a one-byte payload
      EncodeFrame(Opcode::kClose, "x", true, kMask),
  };
  for (const auto& frame : frames) {
    FrameParser parser;
    std::vector<WsMessage> out;
    const auto error = parser.Feed(frame, out);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->close_code, close_code::kProtocolError);
  }
}

TEST(FrameCodec, NewMessageInsideAFragmentedOneIs1002) {
  FrameParser parser;
  std::vector<WsMessage> out;
  ASSERT_FALSE(parser.Feed(EncodeFrame(Opcode::kText, "a", false, kMask), out));
  const auto error = parser.Feed(EncodeFrame(Opcode::kText, "b", true, kMask), out);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->close_code, close_code::kProtocolError);
}

TEST(FrameCodec, FragmentsAreReassembledWithControlFramesBetween) {
  FrameParser parser;
  std::vector<WsMessage> out;
  std::string bytes = EncodeFrame(Opcode::kText, "hel", false, kMask) + EncodeFrame(Opcode::kPing, "p", true, kMask) +
                      EncodeFrame(Opcode::kContinuation, "lo", true, kMask);
  ASSERT_FALSE(parser.Feed(bytes, out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].opcode, Opcode::kPing);
  EXPECT_EQ(out[1].payload, "hello");
}

TEST(FrameCodec, ReassembledMessageOverTheLimitIs1009) {
  FrameParser parser(FrameLimits{100, 150});
  std::vector<WsMessage> out;
  ASSERT_FALSE(parser.Feed(EncodeFrame(Opcode::kText, std::string(100, 'a'), false, kMask), out));
  const auto error = parser.Feed(EncodeFrame(Opcode::kContinuation, std::string(100, 'a'), true, kMask), out);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->close_code, close_code::kTooBig);
}

// An idle connection must cost no buffer: a parser that kept the capacity of
// the largest message it ever read (a 30 KB command) held it for the life of
// the connection.
TEST(FrameCodec, AParserHoldsNoBufferBetweenMessagesButDoesWhileOneIsPartlyIn) {
  FrameParser parser;
  std::vector<WsMessage> out;
  const std::string big(30 * 1024, 'c');
  const std::string frame = EncodeFrame(Opcode::kText, big, true, kMask);
  ASSERT_FALSE(parser.Feed(std::string_view(frame).substr(0, 1000), out));
  EXPECT_GE(parser.held_bytes(), big.size()) << "a frame partly received holds its payload";
  ASSERT_FALSE(parser.Feed(std::string_view(frame).substr(1000), out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload, big);
  EXPECT_EQ(parser.held_bytes(), 0u);

  // The same for a message in fragments.
  out.clear();
  ASSERT_FALSE(parser.Feed(EncodeFrame(Opcode::kText, big, false, kMask), out));
  EXPECT_GE(parser.held_bytes(), big.size());
  ASSERT_FALSE(parser.Feed(EncodeFrame(Opcode::kContinuation, big, true, kMask), out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload.size(), 2 * big.size());
  EXPECT_EQ(parser.held_bytes(), 0u);
}

TEST(FrameCodec, ParserStaysFailedAfterAnError) {
  FrameParser parser;
  std::vector<WsMessage> out;
  ASSERT_TRUE(parser.Feed(EncodeFrame(Opcode::kText, "x"), out));
  EXPECT_TRUE(parser.Feed(EncodeFrame(Opcode::kText, "x", true, kMask), out));
  EXPECT_TRUE(out.empty());
}

TEST(FrameCodec, CloseFrameCarriesCodeAndReason) {
  FrameParser parser(FrameLimits{}, /*expect_masked=*/false);
  std::vector<WsMessage> out;
  ASSERT_FALSE(parser.Feed(EncodeClose(1009, "too big"), out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].opcode, Opcode::kClose);
  EXPECT_EQ(static_cast<std::uint8_t>(out[0].payload[0]) << 8 | static_cast<std::uint8_t>(out[0].payload[1]), 1009);
  EXPECT_EQ(out[0].payload.substr(2), "too big");
}

TEST(FrameCodec, RandomChunkingNeverChangesTheResult) {
  std::mt19937 random(42);
  for (int round = 0; round < 300; ++round) {
    std::vector<std::string> payloads;
    std::string stream;
    const int messages = 1 + static_cast<int>(random() % 5);
    for (int i = 0; i < messages; ++i) {
      std::string payload(random() % 3000, 'a');
      for (auto& c : payload) c = static_cast<char>('a' + random() % 26);
      payloads.push_back(payload);
      stream += EncodeFrame(Opcode::kText, payload, true, kMask);
    }
    FrameParser parser;
    std::vector<WsMessage> out;
    std::size_t position = 0;
    while (position < stream.size()) {
      const std::size_t chunk = 1 + random() % 700;
      ASSERT_FALSE(parser.Feed(std::string_view(stream).substr(position, chunk), out));
      position += chunk;
    }
    ASSERT_EQ(out.size(), payloads.size());
    for (std::size_t i = 0; i < payloads.size(); ++i) EXPECT_EQ(out[i].payload, payloads[i]);
  }
}

TEST(FrameCodec, RandomBytesNeverCrashOrAllocateBeyondTheLimit) {
  std::mt19937 random(7);
  for (int round = 0; round < 2000; ++round) {
    FrameParser parser(FrameLimits{4096, 8192});
    std::string bytes(1 + random() % 256, '\0');
    for (auto& c : bytes) c = static_cast<char>(random());
    std::vector<WsMessage> out;
    parser.Feed(bytes, out);
    for (const auto& message : out) EXPECT_LE(message.payload.size(), 8192u);
  }
}

TEST(Utf8, StrictValidation) {
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\x80"));
}

}  // namespace
}  // namespace orders::notifier
