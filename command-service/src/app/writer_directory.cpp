#include <orders/command/writer_directory.hpp>

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
