#include <orders/notifier/command_request.hpp>

#include <algorithm>

#include <orders/codec/json_read.hpp>
#include <orders/domain/validation.hpp>

namespace orders::notifier {
namespace {

using nlohmann::json;

constexpr std::pair<CommandName, std::string_view> kNames[] = {
    {CommandName::kPlaceOrder, "placeOrder"},           {CommandName::kChangeStatus, "changeStatus"},
    {CommandName::kAcceptDelivery, "acceptDelivery"},   {CommandName::kDeclineDelivery, "declineDelivery"},
    {CommandName::kReleaseDelivery, "releaseDelivery"},
};

bool IsPrintableAscii(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

// `args` without the members that went into the path.
json BodyWithout(const json& args, std::initializer_list<const char*> names) {
  json body = args;
  for (const char* name : names) body.erase(name);
  return body;
}

}  // namespace

std::optional<CommandName> ParseCommandName(std::string_view text) {
  for (const auto& [name, spelling] : kNames) {
    if (spelling == text) return name;
  }
  return std::nullopt;
}

std::string_view CommandNameText(CommandName name) {
  for (const auto& [candidate, spelling] : kNames) {
    if (candidate == name) return spelling;
  }
  return "";
}

CommandParse ParseCommand(const json& message) {
  CommandParse parse;
  const auto request_id = message.find("requestId");
  if (request_id == message.end() || !request_id->is_string() || request_id->get_ref<const std::string&>().empty() ||
      request_id->get_ref<const std::string&>().size() > kMaxRequestIdBytes ||
      !IsPrintableAscii(request_id->get_ref<const std::string&>())) {
    parse.error = "requestId must be a string of 1-128 printable ASCII characters";
    return parse;
  }
  parse.request_id = request_id->get<std::string>();
  for (const auto& [key, value] : message.items()) {
    if (key != "type" && key != "requestId" && key != "name" && key != "args" && key != "idempotencyKey") {
      parse.error = "a command has only type, requestId, name, args and idempotencyKey";
      return parse;
    }
  }
  const auto name_it = message.find("name");
  const auto name = name_it != message.end() && name_it->is_string()
                        ? ParseCommandName(name_it->get_ref<const std::string&>())
                        : std::nullopt;
  if (!name) {
    parse.error = "name must be a known command, e.g. placeOrder or acceptDelivery";
    return parse;
  }
  const auto args = message.find("args");
  if (args == message.end() || !args->is_object()) {
    parse.error = "args must be a JSON object";
    return parse;
  }
  if (codec::DumpJson(*args).size() > kMaxCommandArgsBytes) {
    parse.error = "args too large";
    parse.too_large = true;
    return parse;
  }
  if (*name != CommandName::kPlaceOrder) {
    const auto order_id = args->find("orderId");
    if (order_id == args->end() || !order_id->is_string() ||
        !domain::IsValidOrderId(order_id->get_ref<const std::string&>())) {
      parse.error = "args.orderId must be a lower-case UUID";
      return parse;
    }
  }
  if (*name == CommandName::kAcceptDelivery && args->contains("courierId")) {
    const json& courier = (*args)["courierId"];
    if (!courier.is_string() || !domain::IsValidCourierId(courier.get_ref<const std::string&>())) {
      parse.error = "args.courierId must be 1-64 characters of A-Z a-z 0-9 . _ -";
      return parse;
    }
  }
  std::optional<std::string> idempotency_key;
  if (const auto key = message.find("idempotencyKey"); key != message.end()) {
    // Header-safe characters only: the key becomes an HTTP header.
    if (*name != CommandName::kPlaceOrder || !key->is_string() || key->get_ref<const std::string&>().empty() ||
        key->get_ref<const std::string&>().size() > kMaxIdempotencyKeyBytes ||
        !std::all_of(key->get_ref<const std::string&>().begin(), key->get_ref<const std::string&>().end(),
                     [](char c) { return c >= 0x21 && c <= 0x7e; })) {
      parse.error = "idempotencyKey goes with placeOrder: 1-255 visible ASCII characters";
      return parse;
    }
    idempotency_key = key->get<std::string>();
  }
  parse.command = CommandRequest{parse.request_id, *name, *args, std::move(idempotency_key)};
  return parse;
}

HttpCallPlan PlanHttpCall(const CommandRequest& command, const std::optional<std::string>& subject) {
  const json& args = command.args;
  if (command.name == CommandName::kPlaceOrder) {
    return {HttpCall{"POST", "/orders", codec::DumpJson(args), command.idempotency_key}, {}};
  }
  // Validated by ParseCommand: a lower-case UUID, safe in a path.
  const std::string order_path = "/orders/" + args["orderId"].get<std::string>();
  switch (command.name) {
    case CommandName::kChangeStatus:
      return {HttpCall{"PUT", order_path + "/status", codec::DumpJson(BodyWithout(args, {"orderId"})), std::nullopt},
              {}};
    case CommandName::kAcceptDelivery: {
      // A courier accepts for itself; naming another courier is the command
      // API's call (staff may assign anyone, a courier gets 403).
      std::string courier;
      if (args.contains("courierId")) {
        courier = args["courierId"].get<std::string>();
      } else if (subject) {
        courier = *subject;
      } else {
        return {std::nullopt, "args.courierId is required on a connection without a token"};
      }
      json body = BodyWithout(args, {"orderId"});
      body["courierId"] = courier;
      return {HttpCall{"PUT", order_path + "/courier", codec::DumpJson(body), std::nullopt}, {}};
    }
    case CommandName::kDeclineDelivery:
      return {HttpCall{"POST", order_path + "/delivery-declines", codec::DumpJson(BodyWithout(args, {"orderId"})),
                       std::nullopt},
              {}};
    case CommandName::kReleaseDelivery:
      return {HttpCall{"DELETE", order_path + "/courier", std::nullopt, std::nullopt}, {}};
    case CommandName::kPlaceOrder:
      break;
  }
  return {std::nullopt, "unknown command"};
}

}  // namespace orders::notifier
