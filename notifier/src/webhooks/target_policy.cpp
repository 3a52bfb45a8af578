#include <orders/notifier/webhooks/target_policy.hpp>

#include <arpa/inet.h>
#include <netdb.h>

#include <cstring>
#include <future>
#include <memory>
#include <system_error>
#include <thread>

#include <orders/platform/http_url.hpp>

namespace orders::notifier::webhooks {
namespace {

// What a resolution cut short by its deadline reports (the sender's error for it, too).
constexpr char kTimedOut[] = "timeout";

bool IsLiteral(const std::string& host) {
  in6_addr scratch{};
  return ::inet_pton(AF_INET, host.c_str(), &scratch) == 1 || ::inet_pton(AF_INET6, host.c_str(), &scratch) == 1;
}

}  // namespace

platform::Result<std::vector<CheckedAddress>> ResolveTarget(const std::string& host, std::uint16_t port,
                                                            const TargetPolicy& policy) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  const bool literal = IsLiteral(host);
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

platform::Result<std::vector<CheckedAddress>> ResolveTarget(const std::string& host, std::uint16_t port,
                                                            const TargetPolicy& policy,
                                                            std::chrono::steady_clock::time_point deadline) {
  if (IsLiteral(host)) return ResolveTarget(host, port, policy);
  // getaddrinfo has no timeout of its own (the resolver may retry for many seconds).
  auto promise = std::make_shared<std::promise<platform::Result<std::vector<CheckedAddress>>>>();
  auto answer = promise->get_future();
  try {
    std::thread([promise, host, port, policy] { promise->set_value(ResolveTarget(host, port, policy)); }).detach();
  } catch (const std::system_error&) {
    return platform::Fail("cannot resolve the URL's host now");
  }
  if (answer.wait_until(deadline) != std::future_status::ready) return platform::Fail(kTimedOut);
  return answer.get();
}

std::string CheckWebhookUrl(std::string_view url, const TargetPolicy& policy) {
  const auto parsed = platform::ParseHttpUrl(url);
  if (!parsed) return parsed.error().message;
  constexpr auto kResolveBudget = std::chrono::seconds(5);
  const auto addresses =
      ResolveTarget(parsed->host, parsed->port, policy, std::chrono::steady_clock::now() + kResolveBudget);
  if (!addresses) {
    return addresses.error().message == kTimedOut ? "the URL's host could not be resolved in time"
                                                  : addresses.error().message;
  }
  return {};
}

}  // namespace orders::notifier::webhooks
