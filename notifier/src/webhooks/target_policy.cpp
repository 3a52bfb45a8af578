#include <orders/notifier/webhooks/target_policy.hpp>

#include <arpa/inet.h>
#include <netdb.h>

#include <cstring>
#include <memory>

#include <orders/platform/http_url.hpp>

namespace orders::notifier::webhooks {

platform::Result<std::vector<CheckedAddress>> ResolveTarget(const std::string& host, std::uint16_t port,
                                                            const TargetPolicy& policy) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  in6_addr scratch{};
  const bool literal =
      ::inet_pton(AF_INET, host.c_str(), &scratch) == 1 || ::inet_pton(AF_INET6, host.c_str(), &scratch) == 1;
  if (literal) hints.ai_flags = AI_NUMERICHOST;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found) {
    return platform::Fail("the URL's host does not resolve");
  }
  const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owned(found, &::freeaddrinfo);
  std::vector<CheckedAddress> checked;
  for (const addrinfo* entry = found; entry; entry = entry->ai_next) {
    if (!entry->ai_addr || entry->ai_addrlen > sizeof(sockaddr_storage)) continue;
    // One refused address refuses the host: a name that mixes public and internal addresses is
    // the shape of a rebinding attempt, not a receiver to try address by address.
    const AddressKind kind = ClassifyAddress(*entry->ai_addr);
    if (!IsAllowed(kind, policy)) {
      const std::string what = (kind == AddressKind::kUnspecified ? "an " : "a ") +
                               std::string(DescribeAddressKind(kind)) + " address, which is not allowed";
      return platform::Fail(literal ? "the URL's host is " + what : "the URL's host resolves to " + what);
    }
    CheckedAddress address;
    std::memcpy(&address.address, entry->ai_addr, entry->ai_addrlen);
    address.length = entry->ai_addrlen;
    checked.push_back(address);
  }
  if (checked.empty()) return platform::Fail("the URL's host does not resolve");
  return checked;
}

std::string CheckWebhookUrl(std::string_view url, const TargetPolicy& policy) {
  const auto parsed = platform::ParseHttpUrl(url);
  if (!parsed) return parsed.error().message;
  const auto addresses = ResolveTarget(parsed->host, parsed->port, policy);
  if (!addresses) return addresses.error().message;
  return {};
}

}  // namespace orders::notifier::webhooks
