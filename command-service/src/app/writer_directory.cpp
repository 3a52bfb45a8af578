#include <orders/command/writer_directory.hpp>

#include <cstdint>

namespace orders::command {

std::string AdvertisingClientId(std::string_view name, std::string_view url) {
  return std::string(name) + "@" + std::string(url);
}

std::optional<std::string> AdvertisedUrl(std::string_view client_id) {
  const auto at = client_id.find('@');
  if (at == std::string_view::npos || at + 1 == client_id.size()) return std::nullopt;
  const auto url = client_id.substr(at + 1);
  if (url.rfind("http://", 0) != 0) return std::nullopt;
  return std::string(url);
}

namespace {

// Reads the consumer protocol's big-endian fields, failing (and staying failed) past the end.
class AssignmentReader {
 public:
  explicit AssignmentReader(std::string_view bytes) : bytes_(bytes) {}
  bool ok() const { return ok_; }
  std::int64_t Int(std::size_t width) {
    if (!ok_ || bytes_.size() - at_ < width) {
      ok_ = false;
      return 0;
    }
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < width; ++i) value = (value << 8) | static_cast<unsigned char>(bytes_[at_++]);
    // Two's complement of the field's width: -1 means "null" for lengths.
    const std::uint64_t sign = std::uint64_t{1} << (width * 8 - 1);
    return static_cast<std::int64_t>(value ^ sign) - static_cast<std::int64_t>(sign);
  }
  std::string_view String() {
    const auto length = Int(2);
    if (!ok_ || length < 0 || bytes_.size() - at_ < static_cast<std::size_t>(length)) {
      ok_ = false;
      return {};
    }
    const auto text = bytes_.substr(at_, static_cast<std::size_t>(length));
    at_ += static_cast<std::size_t>(length);
    return text;
  }

 private:
  std::string_view bytes_;
  std::size_t at_ = 0;
  bool ok_ = true;
};

}  // namespace

std::optional<std::vector<platform::Partition>> PartitionsInAssignment(std::string_view assignment,
                                                                       std::string_view topic) {
  std::vector<platform::Partition> partitions;
  if (assignment.empty()) return partitions;  // a member with nothing assigned yet
  AssignmentReader reader(assignment);
  reader.Int(2);  // version: every version starts with the same topic list
  const auto topics = reader.Int(4);
  if (!reader.ok() || topics < 0) return std::nullopt;
  for (std::int64_t t = 0; t < topics; ++t) {
    const auto name = reader.String();
    const auto count = reader.Int(4);
    if (!reader.ok() || count < 0) return std::nullopt;
    for (std::int64_t p = 0; p < count; ++p) {
      const auto partition = static_cast<platform::Partition>(reader.Int(4));
      if (!reader.ok()) return std::nullopt;
      if (name == topic) partitions.push_back(partition);
    }
  }
  return partitions;  // the user data after the topics is not ours to read
}

std::map<platform::Partition, std::string> WritersByPartition(const std::vector<WriterGroupMember>& members) {
  std::map<platform::Partition, std::string> writers;
  for (const auto& member : members) {
    const auto url = AdvertisedUrl(member.client_id);
    if (!url) continue;
    for (const auto partition : member.partitions) writers[partition] = *url;
  }
  return writers;
}

}  // namespace orders::command
