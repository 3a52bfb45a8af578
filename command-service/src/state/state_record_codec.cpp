#include "state_record_codec.hpp"

#include <cstdint>

namespace orders::command::state {
namespace {

// 2: the resident index and keys in time order. A store of format 1 has a checkpoint that does not
// decode, so it is discarded and the topic replayed (its keys and states would be misread).
constexpr char kFormat = 2;

void PutInt(std::string& out, std::int64_t value) {
  auto bits = static_cast<std::uint64_t>(value);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

void PutString(std::string& out, std::string_view text) {
  PutInt(out, static_cast<std::int64_t>(text.size()));
  out.append(text);
}

// Reads from the front of `bytes`; any shortfall makes the whole record unreadable.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  std::optional<std::int64_t> Int() {
    if (bytes_.size() < 8) return std::nullopt;
    std::uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes_[i])) << (8 * i);
    bytes_.remove_prefix(8);
    return static_cast<std::int64_t>(bits);
  }
  std::optional<std::string> String() {
    auto size = Int();
    if (!size || *size < 0 || static_cast<std::uint64_t>(*size) > bytes_.size()) return std::nullopt;
    std::string text(bytes_.substr(0, static_cast<std::size_t>(*size)));
    bytes_.remove_prefix(static_cast<std::size_t>(*size));
    return text;
  }
  bool Format() {
    if (bytes_.empty() || bytes_.front() != kFormat) return false;
    bytes_.remove_prefix(1);
    return true;
  }
  bool AtEnd() const { return bytes_.empty(); }

 private:
  std::string_view bytes_;
};

domain::Timestamp ToTimestamp(std::int64_t millis) { return domain::Timestamp(std::chrono::milliseconds(millis)); }

}  // namespace

std::string EncodeKey(const StoredKey& key) {
  std::string out(1, kFormat);
  PutString(out, key.order_id);
  PutString(out, key.request_hash);
  PutInt(out, key.placed_at.time_since_epoch().count());
  return out;
}

std::optional<StoredKey> DecodeKey(std::string_view bytes) {
  Reader reader(bytes);
  if (!reader.Format()) return std::nullopt;
  auto order_id = reader.String();
  auto request_hash = reader.String();
  auto placed_at = reader.Int();
  if (!order_id || !request_hash || !placed_at || !reader.AtEnd()) return std::nullopt;
  return StoredKey{std::move(*order_id), std::move(*request_hash), ToTimestamp(*placed_at)};
}

std::string EncodeSince(const std::optional<domain::Timestamp>& since) {
  std::string out;
  if (since) PutInt(out, since->time_since_epoch().count());
  return out;
}

std::optional<std::optional<domain::Timestamp>> DecodeSince(std::string_view bytes) {
  if (bytes.empty()) return std::optional<domain::Timestamp>();
  Reader reader(bytes);
  auto millis = reader.Int();
  if (!millis || !reader.AtEnd()) return std::nullopt;
  return std::optional<domain::Timestamp>(ToTimestamp(*millis));
}

std::string EncodeCheckpoint(const StateCheckpoint& checkpoint) {
  std::string out(1, kFormat);
  PutString(out, checkpoint.topic);
  PutInt(out, checkpoint.written_at.time_since_epoch().count());
  PutInt(out, static_cast<std::int64_t>(checkpoint.next_offsets.size()));
  for (auto offset : checkpoint.next_offsets) PutInt(out, offset);
  return out;
}

std::optional<StateCheckpoint> DecodeCheckpoint(std::string_view bytes) {
  Reader reader(bytes);
  if (!reader.Format()) return std::nullopt;
  StateCheckpoint checkpoint;
  auto topic = reader.String();
  auto written_at = reader.Int();
  auto count = reader.Int();
  if (!topic || !written_at || !count || *count < 0 || *count > 1'000'000) return std::nullopt;
  checkpoint.topic = std::move(*topic);
  checkpoint.written_at = ToTimestamp(*written_at);
  for (std::int64_t i = 0; i < *count; ++i) {
    auto offset = reader.Int();
    if (!offset) return std::nullopt;
    checkpoint.next_offsets.push_back(*offset);
  }
  if (!reader.AtEnd()) return std::nullopt;
  return checkpoint;
}

}  // namespace orders::command::state
