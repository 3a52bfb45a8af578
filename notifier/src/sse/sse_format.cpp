#include <orders/notifier/sse_format.hpp>

#include <orders/codec/json_read.hpp>

namespace orders::notifier {
namespace {

// Hub messages are at most a snapshot page (64 KiB) unless one order is
// longer; this bound only protects the parser.
constexpr std::size_t kMaxDescribedBytes = 8 * 1024 * 1024;

bool IsFieldSafe(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

}  // namespace

SseEventHeader DescribeHubMessage(std::string_view json_text) {
  SseEventHeader header{"message", {}};
  const auto json = codec::ParseJson(json_text, kMaxDescribedBytes);
  if (!json || !json->is_object()) return header;
  const auto type = json->find("type");
  if (type == json->end() || !type->is_string()) return header;
  header.event = type->get<std::string>();
  if (header.event == "update") {
    const auto order_id = json->find("orderId");
    const auto version = json->find("version");
    if (order_id != json->end() && order_id->is_string() && version != json->end() && version->is_number_integer()) {
      header.id = order_id->get<std::string>() + ":" + std::to_string(version->get<std::int64_t>());
    }
  } else if (header.event == "message") {
    const auto id = json->find("id");
    if (id != json->end() && id->is_string()) header.id = id->get<std::string>();
  }
  return header;
}

std::string EncodeSseEvent(std::string_view event, std::string_view id, std::string_view data) {
  std::string out;
  out.reserve(data.size() + id.size() + event.size() + 24);
  if (!id.empty() && IsFieldSafe(id)) {
    out += "id: ";
    out += id;
    out += '\n';
  }
  if (!event.empty() && IsFieldSafe(event)) {
    out += "event: ";
    out += event;
    out += '\n';
  }
  // Each line of the data is its own data: field; the client joins them with
  // '\n' again. CR, LF and CRLF all end a line in the format.
  std::size_t start = 0;
  while (true) {
    const std::size_t end = data.find_first_of("\r\n", start);
    out += "data: ";
    out += data.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    out += '\n';
    if (end == std::string_view::npos) break;
    start = end + (data[end] == '\r' && end + 1 < data.size() && data[end + 1] == '\n' ? 2 : 1);
  }
  out += '\n';
  return out;
}

std::string SseEventOf(std::string_view hub_message) {
  const auto header = DescribeHubMessage(hub_message);
  return EncodeSseEvent(header.event, header.id, hub_message);
}

std::string SseRetryHint(std::chrono::milliseconds retry) { return "retry: " + std::to_string(retry.count()) + "\n\n"; }

std::string SseResponseHead(const std::vector<std::pair<std::string, std::string>>& extra) {
  std::string head =
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: text/event-stream; charset=utf-8\r\n"
      "Cache-Control: no-store\r\n"
      "Connection: close\r\n"
      "X-Accel-Buffering: no\r\n"
      "X-Content-Type-Options: nosniff\r\n";
  for (const auto& [name, value] : extra) {
    if (!IsFieldSafe(name) || !IsFieldSafe(value)) continue;
    head += name + ": " + value + "\r\n";
  }
  head += "\r\n";
  return head;
}

SseEventCache::Encoded SseEventCache::EventOf(const std::string& hub_message) {
  if (!last_.frame || hub_message != last_text_) {
    const auto header = DescribeHubMessage(hub_message);
    last_text_ = hub_message;
    last_ = {std::make_shared<const std::string>(EncodeSseEvent(header.event, header.id, hub_message)),
             header.event == "error"};
  }
  return last_;
}

}  // namespace orders::notifier
