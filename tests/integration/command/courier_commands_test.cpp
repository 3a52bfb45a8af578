// Couriers and customer self-service on a real command-service and broker: every row of the
// permission table on every command route, the delivery commands' refusals, the audit header on
// every event, and many couriers racing for one open delivery.

#include <latch>
#include <thread>

#include <orders/codec/event_codec.hpp>

#include "command_fixture.hpp"

namespace orders::testing {
namespace {

using nlohmann::json;
using Headers = std::map<std::string, std::string>;

constexpr const char* kMissingOrder = "00000000-0000-4000-8000-000000000000";

Headers As(const std::string& role, const std::string& subject, Headers extra = {}) {
  extra.emplace("Content-Type", "application/json");
  extra.emplace("Authorization", BearerOf(TestToken(subject, role)));
  return extra;
}

const Headers kStaff = As("staff", "ops");

json BodyOf(const HttpResponse& response) { return json::parse(response.body, nullptr, false); }

// The problem type of a problem+json answer ("" for anything else).
std::string ProblemType(const HttpResponse& response) {
  if (response.Header("content-type") != "application/problem+json") return "";
  return BodyOf(response).value("type", "");
}

class CourierCommandsTest : public CommandServiceTest {
 protected:
  HttpResponse Call(const std::string& method, const std::string& path, const std::string& body,
                    const Headers& headers) {
    auto response = HttpRequest(service_->port(), method, path, body, headers);
    observations_ += Observation(method, SpecPath(path), response);
    return response;
  }

  HttpResponse Place(const json& body, const Headers& as) { return Call("POST", "/orders", body.dump(), as); }
  HttpResponse Read(const std::string& id, const Headers& as) { return Call("GET", "/orders/" + id, "", as); }
  HttpResponse Move(const std::string& id, const std::string& status, const Headers& as) {
    return Call("PUT", "/orders/" + id + "/status", json{{"status", status}}.dump(), as);
  }
  HttpResponse Assign(const std::string& id, const std::string& courier, const Headers& as) {
    return Call("PUT", "/orders/" + id + "/courier", json{{"courierId", courier}}.dump(), as);
  }
  HttpResponse Accept(const std::string& id, const std::string& courier, Headers extra = {}) {
    return Assign(id, courier, As("courier", courier, std::move(extra)));
  }
  HttpResponse Release(const std::string& id, const Headers& as) {
    return Call("DELETE", "/orders/" + id + "/courier", "", as);
  }
  HttpResponse Decline(const std::string& id, const Headers& as, const std::string& body = "") {
    return Call("POST", "/orders/" + id + "/delivery-declines", body, as);
  }

  static json OrderFor(const std::string& customer) {
    json body = json::parse(OrderBody(customer));
    return body;
  }

  // Placed by staff for `customer`, then moved through `statuses`; its id.
  std::string OrderIn(const std::vector<std::string>& statuses, const std::string& customer = "customer-1") {
    const auto placed = Place(OrderFor(customer), kStaff);
    EXPECT_EQ(placed.status, 201) << placed.body;
    const std::string id = BodyOf(placed).value("orderId", "");
    for (const auto& status : statuses) EXPECT_EQ(Move(id, status, kStaff).status, 200) << status;
    return id;
  }
  // Confirmed and without a courier: open for delivery.
  std::string OpenOrder(const std::string& customer = "customer-1") { return OrderIn({"confirmed"}, customer); }

  // Records of one order in the topic, in order.
  std::vector<platform::ConsumedRecord> RecordsOf(const std::string& id) {
    std::vector<platform::ConsumedRecord> mine;
    for (auto& record : ReadWholeTopic(topic_)) {
      if (record.key == id) mine.push_back(std::move(record));
    }
    return mine;
  }

  static std::string Header(const platform::ConsumedRecord& record, std::string_view name) {
    const auto* value = codec::FindHeader(record.headers, name);
    return value ? *value : "<absent>";
  }

  static std::string SpecPath(const std::string& path) {
    if (path.rfind("/orders/", 0) != 0) return path;
    const auto rest = path.find('/', 8);
    return "/orders/{orderId}" + (rest == std::string::npos ? "" : path.substr(rest));
  }

  void ExpectObservationsDocumented() {
    const auto check = CheckOpenApi(observations_, "--observed-only");
    EXPECT_EQ(check.exit_status, 0) << check.output;
  }

  std::string observations_;
};

TEST_F(CourierCommandsTest, CustomersPlaceOnlyForThemselvesAndCouriersNever) {
  auto body = OrderFor("ignored");
  body.erase("customerId");
  const auto own = Place(body, As("customer", "customer-7"));
  ASSERT_EQ(own.status, 201) << own.body;
  EXPECT_EQ(BodyOf(own)["customerId"], "customer-7") << "an omitted customerId is the customer's own";
  const auto named = Place(OrderFor("customer-7"), As("customer", "customer-7"));
  EXPECT_EQ(named.status, 201) << named.body;

  const auto before = TotalEndOffset(topic_);
  const auto other = Place(OrderFor("customer-8"), As("customer", "customer-7"));
  EXPECT_EQ(other.status, 403) << other.body;
  EXPECT_EQ(other.Header("content-type"), "application/problem+json");
  const auto courier = Place(OrderFor("customer-7"), As("courier", "courier-1"));
  EXPECT_EQ(courier.status, 403) << courier.body;
  const auto courier_omitting = Place(body, As("courier", "courier-1"));
  EXPECT_EQ(courier_omitting.status, 400) << "only customers may leave the customer out: " << courier_omitting.body;
  const auto staff_omitting = Place(body, kStaff);
  EXPECT_EQ(staff_omitting.status, 400) << staff_omitting.body;
  EXPECT_EQ(BodyOf(staff_omitting)["errors"][0]["field"], "customerId");
  EXPECT_EQ(TotalEndOffset(topic_), before) << "a refused placement appends nothing";

  EXPECT_EQ(Place(OrderFor("anyone"), kStaff).status, 201);
  EXPECT_EQ(Place(OrderFor("anyone"), As("service", "checkout")).status, 201);
  ExpectObservationsDocumented();
}

TEST_F(CourierCommandsTest, ReadsShowEachRoleOnlyWhatThePermissionTableAllows) {
  const std::string pending = OrderIn({}, "customer-1");
  const std::string open = OpenOrder("customer-2");
  const std::string mine = OpenOrder("customer-2");
  const std::string theirs = OpenOrder("customer-2");
  ASSERT_EQ(Accept(mine, "courier-1").status, 200);
  ASSERT_EQ(Accept(theirs, "courier-2").status, 200);

  const auto customer1 = As("customer", "customer-1");
  EXPECT_EQ(Read(pending, customer1).status, 200);
  EXPECT_EQ(Read(open, customer1).status, 404) << "another customer's order does not exist for it";
  EXPECT_EQ(Read(kMissingOrder, customer1).status, 404);

  const auto courier1 = As("courier", "courier-1");
  EXPECT_EQ(Read(open, courier1).status, 200) << "open deliveries are visible to every courier";
  EXPECT_EQ(Read(mine, courier1).status, 200);
  EXPECT_EQ(Read(theirs, courier1).status, 404);
  EXPECT_EQ(Read(pending, courier1).status, 404) << "a pending order is not open for delivery";
  EXPECT_EQ(BodyOf(Read(mine, courier1))["courierId"], "courier-1");
  EXPECT_TRUE(BodyOf(Read(open, courier1))["courierId"].is_null());

  for (const auto& id : {pending, open, mine, theirs}) {
    EXPECT_EQ(Read(id, kStaff).status, 200);
    EXPECT_EQ(Read(id, As("service", "reports")).status, 200);
  }
  ExpectObservationsDocumented();
}

TEST_F(CourierCommandsTest, StatusChangesFollowThePermissionTable) {
  const auto customer1 = As("customer", "customer-1");
  const std::string own = OrderIn({}, "customer-1");
  const std::string others = OrderIn({}, "customer-2");
  EXPECT_EQ(Move(own, "confirmed", customer1).status, 403) << "customers only cancel";
  EXPECT_EQ(Move(others, "cancelled", customer1).status, 404) << "another customer's order is hidden";
  const auto cancelled = Move(own, "cancelled", customer1);
  EXPECT_EQ(cancelled.status, 200) << cancelled.body;
  const auto too_late = OrderIn({"confirmed", "processing", "shipped"}, "customer-1");
  EXPECT_EQ(Move(too_late, "cancelled", customer1).status, 409) << "the lifecycle still decides";

  const auto courier1 = As("courier", "courier-1");
  const std::string open = OpenOrder();
  EXPECT_EQ(Move(open, "out_for_delivery", courier1).status, 403) << "not assigned to it yet";
  ASSERT_EQ(Accept(open, "courier-1").status, 200);
  EXPECT_EQ(Move(open, "processing", courier1).status, 403) << "couriers only pick up and deliver";
  EXPECT_EQ(Move(open, "cancelled", courier1).status, 403);
  EXPECT_EQ(Move(open, "out_for_delivery", As("courier", "courier-2")).status, 403) << "another courier's order";
  EXPECT_EQ(Move(open, "delivered", As("customer", "customer-1")).status, 403);
  const auto picked_up = Move(open, "out_for_delivery", courier1);
  EXPECT_EQ(picked_up.status, 200) << picked_up.body;
  const auto delivered = Move(open, "delivered", courier1);
  EXPECT_EQ(delivered.status, 200) << delivered.body;
  EXPECT_EQ(BodyOf(delivered)["status"], "delivered");

  const std::string staffs = OrderIn({"confirmed"});
  EXPECT_EQ(Move(staffs, "shipped", kStaff).status, 200);
  EXPECT_EQ(Move(staffs, "delivered", As("service", "warehouse")).status, 200);
  ExpectObservationsDocumented();
}

TEST_F(CourierCommandsTest, CouriersAcceptOnlyOpenDeliveriesForThemselves) {
  const std::string open = OpenOrder();
  const auto accepted = Accept(open, "courier-1");
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(BodyOf(accepted)["courierId"], "courier-1");
  EXPECT_EQ(BodyOf(accepted)["version"], 3);
  EXPECT_EQ(accepted.Header("etag"), "\"3\"");

  const auto again = Accept(open, "courier-1");
  EXPECT_EQ(again.status, 200) << "accepting what is already yours changes nothing";
  EXPECT_EQ(BodyOf(again)["version"], 3);
  const auto taken = Accept(open, "courier-2");
  EXPECT_EQ(taken.status, 409);
  EXPECT_EQ(ProblemType(taken), "urn:orders:problem:delivery-taken") << taken.body;

  const auto pending = Accept(OrderIn({}), "courier-1");
  EXPECT_EQ(pending.status, 409);
  EXPECT_EQ(ProblemType(pending), "urn:orders:problem:not-open-for-delivery") << pending.body;
  const auto shipped = Accept(OrderIn({"shipped"}), "courier-1");
  EXPECT_EQ(ProblemType(shipped), "urn:orders:problem:not-open-for-delivery") << shipped.body;
  for (const std::vector<std::string>& terminal :
       {std::vector<std::string>{"cancelled"}, std::vector<std::string>{"confirmed", "delivered"}}) {
    const auto refused = Accept(OrderIn(terminal), "courier-1");
    EXPECT_EQ(refused.status, 409);
    EXPECT_EQ(ProblemType(refused), "urn:orders:problem:order-terminal") << refused.body;
  }

  const std::string other = OpenOrder("customer-3");
  const auto for_someone_else = Assign(other, "courier-2", As("courier", "courier-1"));
  EXPECT_EQ(for_someone_else.status, 403) << "a courier accepts for itself only";
  EXPECT_EQ(Assign(other, "courier-3", As("customer", "customer-3")).status, 403) << "its own order";
  EXPECT_EQ(Assign(other, "courier-3", As("customer", "customer-1")).status, 404) << "someone else's order";
  EXPECT_EQ(Accept(kMissingOrder, "courier-1").status, 404);

  const auto stale = Accept(other, "courier-1", {{"If-Match", "\"1\""}});
  EXPECT_EQ(stale.status, 412) << stale.body;
  const auto current = Accept(other, "courier-1", {{"If-Match", "\"2\""}});
  EXPECT_EQ(current.status, 200) << current.body;
  ExpectObservationsDocumented();
}

TEST_F(CourierCommandsTest, StaffAndServicesAssignAnyWellFormedCourierId) {
  // Couriers are identities from tokens, not records: an id nobody has used yet is fine.
  const std::string pending = OrderIn({});
  const auto assigned = Assign(pending, "never-seen-courier", kStaff);
  ASSERT_EQ(assigned.status, 200) << assigned.body;
  EXPECT_EQ(BodyOf(assigned)["courierId"], "never-seen-courier");
  const auto reassigned = Assign(pending, "courier-9", kStaff);
  EXPECT_EQ(ProblemType(reassigned), "urn:orders:problem:delivery-taken") << "unassign first: " << reassigned.body;
  const auto unassigned = Release(pending, kStaff);
  ASSERT_EQ(unassigned.status, 200) << unassigned.body;
  EXPECT_TRUE(BodyOf(unassigned)["courierId"].is_null());
  EXPECT_EQ(Assign(pending, "courier-9", As("service", "dispatcher")).status, 200);

  const auto malformed = Assign(pending, "has spaces", kStaff);
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(BodyOf(malformed)["errors"][0]["field"], "courierId") << malformed.body;

  const std::string delivered = OrderIn({"confirmed"});
  ASSERT_EQ(Assign(delivered, "courier-1", kStaff).status, 200);
  ASSERT_EQ(Move(delivered, "delivered", kStaff).status, 200);
  const auto keeps = Release(delivered, kStaff);
  EXPECT_EQ(keeps.status, 409);
  EXPECT_EQ(ProblemType(keeps), "urn:orders:problem:order-terminal") << keeps.body;

  const auto records = RecordsOf(pending);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(json::parse(records[1].value)["by"], "staff");
  EXPECT_EQ(json::parse(records[3].value)["by"], "service");
  ExpectObservationsDocumented();
}

TEST_F(CourierCommandsTest, CouriersReleaseTheirOwnDeliveryOnlyBeforePickup) {
  const auto courier1 = As("courier", "courier-1");
  const std::string order = OpenOrder();
  const auto nobody = Release(order, courier1);
  EXPECT_EQ(nobody.status, 409);
  EXPECT_EQ(ProblemType(nobody), "urn:orders:problem:no-courier") << nobody.body;
  ASSERT_EQ(Accept(order, "courier-1").status, 200);
  EXPECT_EQ(Release(order, As("courier", "courier-2")).status, 403) << "another courier's delivery";
  EXPECT_EQ(Release(order, As("customer", "customer-1")).status, 403);
  const auto released = Release(order, courier1);
  ASSERT_EQ(released.status, 200) << released.body;
  EXPECT_TRUE(BodyOf(released)["courierId"].is_null());
  EXPECT_EQ(Read(order, As("courier", "courier-2")).status, 200) << "open again for every courier";

  ASSERT_EQ(Accept(order, "courier-2").status, 200);
  ASSERT_EQ(Move(order, "out_for_delivery", As("courier", "courier-2")).status, 200);
  const auto after_pickup = Release(order, As("courier", "courier-2"));
  EXPECT_EQ(after_pickup.status, 409);
  EXPECT_EQ(ProblemType(after_pickup), "urn:orders:problem:delivery-picked-up") << after_pickup.body;
  const auto staff = Release(order, kStaff);
  EXPECT_EQ(staff.status, 200) << "staff may still take it away: " << staff.body;
  ExpectObservationsDocumented();
}

TEST_F(CourierCommandsTest, CouriersDeclineOpenDeliveriesButNotTheirOwn) {
  const auto courier1 = As("courier", "courier-1");
  const std::string order = OpenOrder();
  const auto declined = Decline(order, courier1, R"({"reason":"too far"})");
  ASSERT_EQ(declined.status, 200) << declined.body;
  EXPECT_EQ(BodyOf(declined)["version"], 3);
  EXPECT_TRUE(BodyOf(declined)["courierId"].is_null()) << "still open for the others";
  const auto again = Decline(order, courier1);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(BodyOf(again)["version"], 3) << "declining twice appends nothing";
  EXPECT_EQ(Decline(order, kStaff).status, 403) << "staff unassign, they do not decline";
  EXPECT_EQ(Decline(order, As("customer", "customer-1")).status, 403);
  EXPECT_EQ(Decline(order, As("customer", "customer-2")).status, 404);

  ASSERT_EQ(Accept(order, "courier-2").status, 200) << "a decline leaves the order to the others";
  const auto own = Decline(order, As("courier", "courier-2"));
  EXPECT_EQ(own.status, 409);
  EXPECT_EQ(ProblemType(own), "urn:orders:problem:own-delivery") << own.body;
  const auto not_open = Decline(OrderIn({}), courier1);
  EXPECT_EQ(ProblemType(not_open), "urn:orders:problem:not-open-for-delivery") << not_open.body;

  const auto records = RecordsOf(order);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(Header(records[2], "ce_type"), "order.delivery_declined.v1");
  EXPECT_EQ(json::parse(records[2].value)["reason"], "too far");
  ExpectObservationsDocumented();
}

TEST_F(CourierCommandsTest, BadInputOnTheDeliveryRoutesIsAProblemAndAppendsNothing) {
  const std::string order = OpenOrder();
  const auto before = TotalEndOffset(topic_);
  const auto courier1 = As("courier", "courier-1");
  const std::string courier_path = "/orders/" + order + "/courier";
  const std::string declines_path = "/orders/" + order + "/delivery-declines";
  auto expect_problem = [](const HttpResponse& response, int status, const std::string& what) {
    EXPECT_EQ(response.status, status) << what << ": " << response.body;
    EXPECT_EQ(response.Header("content-type"), "application/problem+json") << what;
    EXPECT_EQ(response.body.find("exception"), std::string::npos) << what;
  };

  expect_problem(Call("PUT", courier_path, "{", courier1), 400, "not JSON");
  expect_problem(Call("PUT", courier_path, "[]", courier1), 400, "not an object");
  const auto unknown = Call("PUT", courier_path, R"({"courierId":"courier-1","priority":1})", courier1);
  expect_problem(unknown, 400, "unknown field");
  EXPECT_EQ(BodyOf(unknown)["errors"][0]["field"], "priority");
  const auto missing = Call("PUT", courier_path, "{}", courier1);
  expect_problem(missing, 400, "no courierId");
  EXPECT_EQ(BodyOf(missing)["errors"][0]["field"], "courierId");
  const auto bad_id = Accept("not-a-uuid", "courier-1");
  expect_problem(bad_id, 400, "bad order id");
  EXPECT_EQ(BodyOf(bad_id)["errors"][0]["field"], "orderId");
  expect_problem(Accept(order, "courier-1", {{"If-Match", "\"x\""}}), 400, "bad If-Match");
  expect_problem(Call("PUT", courier_path, R"({"courierId":"courier-1"})",
                      {{"Content-Type", "text/plain"}, {"Authorization", courier1.at("Authorization")}}),
                 415, "wrong media type");
  expect_problem(Call("PUT", courier_path, std::string(100 * 1024, ' '), courier1), 413, "too large");
  expect_problem(Call("POST", declines_path, R"({"reason":5})", courier1), 400, "reason not a string");
  const auto decline_unknown = Call("POST", declines_path, R"({"why":"far"})", courier1);
  expect_problem(decline_unknown, 400, "unknown decline field");
  expect_problem(Call("POST", declines_path, R"({"reason":")" + std::string(300, 'a') + R"("})", courier1), 400,
                 "reason too long");
  expect_problem(Call("DELETE", courier_path, "{", courier1), 400, "release body not JSON");
  expect_problem(Call("POST", "/orders/" + std::string(kMissingOrder) + "/delivery-declines", "", courier1), 404,
                 "unknown order");

  for (const char* method : {"PATCH", "POST", "GET"}) {
    const auto refused = HttpRequest(service_->port(), method, courier_path, "", courier1);
    EXPECT_EQ(refused.status, 405) << method;
    EXPECT_EQ(refused.Header("allow"), "PUT, DELETE") << method;
  }
  const auto put_declines = HttpRequest(service_->port(), "PUT", declines_path, "", courier1);
  EXPECT_EQ(put_declines.status, 405);
  EXPECT_EQ(put_declines.Header("allow"), "POST");

  const auto no_token =
      Call("PUT", courier_path, R"({"courierId":"courier-1"})", {{"Content-Type", "application/json"}});
  expect_problem(no_token, 401, "no token");
  EXPECT_EQ(no_token.Header("www-authenticate"), "Bearer");
  expect_problem(Call("POST", declines_path, "", {{"Authorization", "Bearer not-a-token"}}), 401, "bad token");

  EXPECT_EQ(TotalEndOffset(topic_), before) << "bad input appends nothing";
  ExpectObservationsDocumented();
}

TEST_F(CourierCommandsTest, EveryAppendedEventNamesWhoSentTheCommand) {
  const auto placed = Place(OrderFor("customer-5"), As("customer", "customer-5"));
  ASSERT_EQ(placed.status, 201);
  const std::string id = BodyOf(placed)["orderId"];
  ASSERT_EQ(Move(id, "confirmed", As("service", "payments")).status, 200);
  ASSERT_EQ(Decline(id, As("courier", "c-6")).status, 200);
  ASSERT_EQ(Accept(id, "c-7").status, 200);
  ASSERT_EQ(Move(id, "out_for_delivery", As("courier", "c-7")).status, 200);
  ASSERT_EQ(Release(id, As("staff", "ops")).status, 200);
  ASSERT_EQ(Assign(id, "c-8", As("staff", "ops")).status, 200);
  ASSERT_EQ(Move(id, "delivered", As("courier", "c-8")).status, 200);

  const auto records = RecordsOf(id);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"order.placed.v1", "customer:customer-5"},    {"order.status_changed.v1", "service:payments"},
      {"order.delivery_declined.v1", "courier:c-6"}, {"order.courier_assigned.v1", "courier:c-7"},
      {"order.status_changed.v1", "courier:c-7"},    {"order.courier_unassigned.v1", "staff:ops"},
      {"order.courier_assigned.v1", "staff:ops"},    {"order.status_changed.v1", "courier:c-8"},
  };
  ASSERT_EQ(records.size(), expected.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(Header(records[i], "ce_type"), expected[i].first) << i;
    EXPECT_EQ(Header(records[i], "orders_actor"), expected[i].second) << i;
    const auto decoded = codec::DecodeEvent(records[i].key, records[i].value, records[i].headers);
    ASSERT_TRUE(decoded.decoded) << decoded.error;
    EXPECT_EQ(decoded.decoded->metadata.actor, expected[i].second);
  }
  bool valid = false;
  const auto report = ValidateAgainstSchemas(records, valid);
  EXPECT_TRUE(valid) << report;
}

// The single-writer guarantee under real concurrency: many couriers, each with its own token and
// connection, accept the same open delivery at the same moment.
TEST_F(CourierCommandsTest, ManyCouriersAcceptingOneOrderAtOnceGiveExactlyOneWinner) {
  constexpr int kCouriers = 24;
  for (int round = 0; round < 3; ++round) {
    const std::string order = OpenOrder();
    std::vector<Headers> tokens;
    for (int i = 0; i < kCouriers; ++i) tokens.push_back(As("courier", "racer-" + std::to_string(i)));
    std::vector<HttpResponse> answers(kCouriers);
    std::latch start(kCouriers);
    std::vector<std::thread> couriers;
    for (int i = 0; i < kCouriers; ++i) {
      couriers.emplace_back([&, i] {
        const std::string body = json{{"courierId", "racer-" + std::to_string(i)}}.dump();
        start.arrive_and_wait();
        answers[i] = HttpRequest(service_->port(), "PUT", "/orders/" + order + "/courier", body, tokens[i]);
      });
    }
    for (auto& courier : couriers) courier.join();

    std::string winner;
    int won = 0, lost = 0;
    for (int i = 0; i < kCouriers; ++i) {
      if (answers[i].status == 200) {
        ++won;
        winner = "racer-" + std::to_string(i);
        EXPECT_EQ(BodyOf(answers[i])["courierId"], winner);
      } else if (answers[i].status == 409) {
        ++lost;
        EXPECT_EQ(ProblemType(answers[i]), "urn:orders:problem:delivery-taken") << answers[i].body;
      } else {
        ADD_FAILURE() << "racer-" << i << ": " << answers[i].status << " " << answers[i].body;
      }
    }
    EXPECT_EQ(won, 1) << "round " << round;
    EXPECT_EQ(lost, kCouriers - 1) << "round " << round;

    int assignments = 0;
    for (const auto& record : RecordsOf(order)) {
      if (Header(record, "ce_type") != "order.courier_assigned.v1") continue;
      ++assignments;
      EXPECT_EQ(json::parse(record.value)["courierId"], winner);
      EXPECT_EQ(Header(record, "orders_actor"), "courier:" + winner);
    }
    EXPECT_EQ(assignments, 1) << "round " << round << ": the log holds exactly one assignment";
    EXPECT_EQ(BodyOf(Read(order, kStaff))["courierId"], winner);
  }
}

class CourierCommandsAuthOffTest : public CourierCommandsTest {
 protected:
  CourierCommandsAuthOffTest() { extra_env_ = {{"AUTH", "off"}}; }
};

TEST_F(CourierCommandsAuthOffTest, WithoutAuthCallersActAsStaffAndEventsNameNobody) {
  const Headers plain = {{"Content-Type", "application/json"}};
  const auto placed = Place(OrderFor("customer-1"), plain);
  ASSERT_EQ(placed.status, 201) << placed.body;
  const std::string id = BodyOf(placed)["orderId"];
  ASSERT_EQ(Move(id, "confirmed", plain).status, 200);
  const auto assigned = Assign(id, "courier-1", plain);
  ASSERT_EQ(assigned.status, 200) << assigned.body;
  EXPECT_EQ(Decline(id, plain).status, 403) << "staff do not decline";
  const auto records = RecordsOf(id);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(json::parse(records[2].value)["by"], "staff");
  for (const auto& record : records) EXPECT_EQ(Header(record, "orders_actor"), "<absent>");
}

}  // namespace
}  // namespace orders::testing

namespace orders::testing {
namespace {

class CourierRateLimitTest : public CourierCommandsTest {
 protected:
  CourierRateLimitTest() { extra_env_ = {{"RATE_LIMIT", "on"}, {"RATE_LIMIT_COURIER", "0.1/3"}}; }
};

// Couriers are limited per courier like customers: a courier app hammering accept gets 429, and
// another courier is not slowed down by it.
TEST_F(CourierRateLimitTest, EachCourierHasItsOwnRequestBudgetOnTheDeliveryRoutes) {
  const std::string order = OpenOrder();
  std::vector<int> statuses;
  for (int i = 0; i < 4; ++i) statuses.push_back(Decline(order, As("courier", "eager")).status);
  EXPECT_EQ(statuses, (std::vector<int>{200, 200, 200, 429}));
  const auto limited = Accept(order, "eager");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.Header("content-type"), "application/problem+json");
  EXPECT_FALSE(limited.Header("retry-after").empty());
  EXPECT_NE(limited.Header("ratelimit-policy").find("courier"), std::string::npos)
      << limited.Header("ratelimit-policy");
  EXPECT_EQ(Accept(order, "patient").status, 200);
  ExpectObservationsDocumented();
}

}  // namespace
}  // namespace orders::testing
