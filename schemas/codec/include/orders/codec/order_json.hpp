#pragma once
// The order's JSON shape, shared by the command API, the query API and the
// notifier's snapshots:
// {orderId, customerId, items:[{productId, quantity, unitPriceCents}],
//  currency, totalCents, status, courierId, version, createdAt, updatedAt,
//  payment:{status, paymentId?, amountCents}}

#include <optional>
#include <string>
#include <vector>

#include <orders/codec/json_read.hpp>
#include <orders/domain/order.hpp>

namespace orders::codec {

Json LineItemsToJson(const std::vector<domain::LineItem>& items);
Json PaymentToJson(const domain::Payment& payment);
Json OrderToJson(const domain::Order& order);
// DumpJson(OrderToJson(order)), byte for byte, written straight into a
// string: the command API answers every command with it, and building the
// JSON tree first cost about 5% of the command service's CPU.
std::string OrderJsonText(const domain::Order& order);

// Reads an `items` array; every problem is added to `reader.errors()`.
std::vector<domain::LineItem> ReadLineItems(FieldReader& reader, const Json& items, bool reject_unknown);

// Inverse of OrderToJson; nullopt when a field is missing or mistyped.
std::optional<domain::Order> OrderFromJson(const Json& json);
// {status, paymentId?, amountCents}; nullopt when malformed.
std::optional<domain::Payment> PaymentFromJson(const Json& json);

}  // namespace orders::codec
