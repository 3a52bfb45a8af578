#pragma once
// Loads the log as the webhook invariants see it (webhook_rules.hpp): every
// record of the orders topic with its ce_id, ce_type, order, version and
// append time. A record that does not decode is left out (CheckLog reports it).

#include <string>
#include <vector>

#include <orders/invariants/webhook_rules.hpp>

namespace orders::invariants {

std::vector<WebhookLogEvent> ReadWebhookLog(const std::string& topic);

}  // namespace orders::invariants
