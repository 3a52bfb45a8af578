#pragma once
// Writing JSON text straight into a string, byte for byte as DumpJson writes
// the same values (members in nlohmann::json's sorted order, its escaping):
// for the texts written on every command and every live update, where
// building a tree first costs more than the rest of the encoding. Each writer
// is tested against DumpJson of its tree.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <orders/domain/order.hpp>

namespace orders::codec::json_text {

// A JSON string. Printable ASCII is escaped here; any other byte (control
// characters, UTF-8, invalid sequences, which DumpJson replaces) goes
// through DumpJson itself, so the text never differs.
void AppendString(std::string& out, std::string_view text);
void AppendNumber(std::string& out, std::int64_t number);
// [{"productId","quantity","unitPriceCents"}...]
void AppendItems(std::string& out, const std::vector<domain::LineItem>& items);
// {"amountCents","paymentId"?,"status"}: PaymentToJson's text.
void AppendPayment(std::string& out, const domain::Payment& payment);

}  // namespace orders::codec::json_text
