#pragma once
// Where the writer of each partition can be reached, so that a command for an
// order another instance writes is forwarded to it instead of refused. Every
// instance advertises its HTTP address in the client id of its membership in
// the writer group ("<name>@<url>"); a description of the group (its members,
// their client ids and assigned partitions) then names each partition's
// writer. The group's own protocol keeps it current: no registry to maintain.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <orders/platform/kafka_consumer.hpp>

namespace orders::command {

// "<name>@<url>": the client id a writer-group member advertises its address in.
std::string AdvertisingClientId(std::string_view name, std::string_view url);
// The address in such a client id; nullopt when it advertises none.
std::optional<std::string> AdvertisedUrl(std::string_view client_id);

// One member of the writer group as a description of the group shows it.
struct WriterGroupMember {
  std::string client_id;
  std::vector<platform::Partition> partitions;  // of the topic the group writes
};

// The partitions of `topic` in a member's assignment as a group description
// carries it (Kafka's consumer protocol: version, then per topic its name and
// partitions, then user data); nullopt when the bytes are not such an assignment.
std::optional<std::vector<platform::Partition>> PartitionsInAssignment(std::string_view assignment,
                                                                       std::string_view topic);

// Partition -> the address of the member it is assigned to (members that advertise none are left out).
std::map<platform::Partition, std::string> WritersByPartition(const std::vector<WriterGroupMember>& members);

class WriterDirectory {
 public:
  virtual ~WriterDirectory() = default;
  // The address of the instance writing `partition`, as last seen; nullopt when unknown.
  virtual std::optional<std::string> WriterOf(platform::Partition partition) = 0;
  // Its answer for `partition` proved wrong (this instance, or one that no
  // longer writes it, was named): look again soon.
  virtual void Stale(platform::Partition partition) = 0;
};

}  // namespace orders::command
