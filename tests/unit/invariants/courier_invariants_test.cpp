// The courier invariants of the checker (checker.hpp, 5 and 6), each shown
// failing on a hand-built log that breaks it and passing on one that keeps it.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include <orders/invariants/checker.hpp>
#include <orders/invariants/sources.hpp>
#include <orders/testing/builders.hpp>

namespace orders::invariants {
namespace {

using domain::AssignedBy;
using domain::Status;
using testing::At;
using testing::Changed;
using testing::kOrderId;
using testing::Placed;

// One log record with the actor header it was written with (nullopt: none).
struct Written {
  domain::Event event;
  std::optional<std::string> actor;
};

std::vector<LogRecord> Log(const std::vector<Written>& records) {
  std::vector<LogRecord> log;
  for (const auto& record : records) {
    log.push_back({0, static_cast<std::int64_t>(log.size()), record.event, {}, record.actor});
  }
  return log;
}

domain::CourierAssigned Assigned(std::int64_t version, const std::string& courier,
                                 AssignedBy by = AssignedBy::kCourier) {
  return {kOrderId, version, At(1764000002000), courier, by};
}
domain::CourierUnassigned Unassigned(std::int64_t version, const std::string& courier) {
  return {kOrderId, version, At(1764000003000), courier, std::nullopt};
}
domain::DeliveryDeclined Declined(std::int64_t version, const std::string& courier) {
  return {kOrderId, version, At(1764000003000), courier, std::nullopt};
}

// Placed by a customer, confirmed by staff: open for delivery at version 2.
std::vector<Written> OpenOrder() {
  return {{Placed(), "customer:customer-1"}, {Changed(2, Status::kPending, Status::kConfirmed), "staff:ops"}};
}

std::vector<Written> With(std::vector<Written> log, const std::vector<Written>& more) {
  log.insert(log.end(), more.begin(), more.end());
  return log;
}

// Open, accepted by c-7 at 3, picked up at 4, delivered at 5, each by c-7.
std::vector<Written> Delivered() {
  return With(OpenOrder(), {{Assigned(3, "c-7"), "courier:c-7"},
                            {Changed(4, Status::kConfirmed, Status::kOutForDelivery), "courier:c-7"},
                            {Changed(5, Status::kOutForDelivery, Status::kDelivered), "courier:c-7"}});
}

bool Mentions(const Report& report, const std::string& text) {
  for (const auto& violation : report.violations) {
    if (violation.find(text) != std::string::npos) return true;
  }
  return false;
}

Report Checked(const std::vector<Written>& records) {
  Report report;
  CheckLog(Log(records), report);
  return report;
}

TEST(CourierInvariants, ADeliveryAcceptedPickedUpAndDeliveredByItsCourierHolds) {
  Report report;
  const auto fold = CheckLog(Log(Delivered()), report);
  EXPECT_TRUE(report.ok()) << report.Summary();
  EXPECT_EQ(fold.orders.at(kOrderId).courier_id, "c-7");
  EXPECT_EQ(fold.couriers.at(kOrderId).at(2), "");
  EXPECT_EQ(fold.couriers.at(kOrderId).at(3), "c-7");
  EXPECT_EQ(fold.assignments.at(kOrderId), 1);
  EXPECT_EQ(report.counts.at("courier_assignments"), 1);
  EXPECT_EQ(report.counts.at("delivery_moves"), 2);
}

TEST(CourierInvariants, AnAssignmentKeepsTheStatusTheOrderHadAtThatVersion) {
  Report report;
  const auto fold = CheckLog(Log(Delivered()), report);
  EXPECT_EQ(fold.statuses.at(kOrderId).at(3), "confirmed") << "an assignment is not a status change";
}

TEST(CourierInvariants, ASecondCourierOnAnOrderThatHasOneIsReported) {
  const auto report = Checked(
      With(OpenOrder(), {{Assigned(3, "c-7"), "courier:c-7"}, {Assigned(4, "c-8", AssignedBy::kStaff), "staff:ops"}}));
  EXPECT_TRUE(Mentions(report, "two couriers at once: c-8 assigned while c-7 has the order")) << report.Summary();
}

TEST(CourierInvariants, AReleasedDeliveryMayBeAcceptedByAnotherCourier) {
  const auto report = Checked(With(OpenOrder(), {{Assigned(3, "c-7"), "courier:c-7"},
                                                 {Unassigned(4, "c-7"), "courier:c-7"},
                                                 {Assigned(5, "c-8"), "courier:c-8"}}));
  EXPECT_TRUE(report.ok()) << report.Summary();
}

TEST(CourierInvariants, AnAcceptanceOfAnOrderThatIsNotOpenIsReported) {
  const auto pending = Checked({{Placed(), "customer:customer-1"}, {Assigned(2, "c-7"), "courier:c-7"}});
  EXPECT_TRUE(Mentions(pending, "accepted an order that was not open (pending")) << pending.Summary();

  const auto shipped = Checked(With(OpenOrder(), {{Changed(3, Status::kConfirmed, Status::kShipped), "staff:ops"},
                                                  {Assigned(4, "c-7"), "courier:c-7"}}));
  EXPECT_TRUE(Mentions(shipped, "not open (shipped")) << shipped.Summary();
}

TEST(CourierInvariants, StaffMayAssignAnOrderThatIsNotOpen) {
  const auto report =
      Checked({{Placed(), "customer:customer-1"}, {Assigned(2, "c-7", AssignedBy::kStaff), "staff:ops"}});
  EXPECT_TRUE(report.ok()) << report.Summary();
}

TEST(CourierInvariants, AnAcceptanceOrAssignmentMadeByTheWrongActorIsReported) {
  const auto other = Checked(With(OpenOrder(), {{Assigned(3, "c-7"), "courier:c-8"}}));
  EXPECT_TRUE(Mentions(other, "acceptance by courier c-7 was made by courier:c-8")) << other.Summary();

  const auto customer = Checked(With(OpenOrder(), {{Assigned(3, "c-7"), "customer:customer-1"}}));
  EXPECT_TRUE(Mentions(customer, "made by customer:customer-1")) << customer.Summary();

  const auto courier_as_staff = Checked(With(OpenOrder(), {{Assigned(3, "c-7", AssignedBy::kStaff), "courier:c-7"}}));
  EXPECT_TRUE(Mentions(courier_as_staff, "assignment by staff was made by courier:c-7")) << courier_as_staff.Summary();
}

TEST(CourierInvariants, APickupOrDeliveryByAnyoneButTheAssignedCourierOrStaffIsReported) {
  const auto other =
      Checked(With(OpenOrder(), {{Assigned(3, "c-7"), "courier:c-7"},
                                 {Changed(4, Status::kConfirmed, Status::kOutForDelivery), "courier:c-8"}}));
  EXPECT_TRUE(Mentions(other, "moved to out_for_delivery by courier:c-8 while the assigned courier is c-7"))
      << other.Summary();

  const auto unassigned =
      Checked(With(OpenOrder(), {{Changed(3, Status::kConfirmed, Status::kDelivered), "courier:c-7"}}));
  EXPECT_TRUE(Mentions(unassigned, "moved to delivered by courier:c-7 while the assigned courier is none"))
      << unassigned.Summary();

  const auto customer =
      Checked(With(OpenOrder(), {{Assigned(3, "c-7"), "courier:c-7"},
                                 {Changed(4, Status::kConfirmed, Status::kDelivered), "customer:customer-1"}}));
  EXPECT_TRUE(Mentions(customer, "by customer:customer-1")) << customer.Summary();

  const auto staff = Checked(With(OpenOrder(), {{Assigned(3, "c-7"), "courier:c-7"},
                                                {Changed(4, Status::kConfirmed, Status::kDelivered), "staff:ops"}}));
  EXPECT_TRUE(staff.ok()) << staff.Summary();
  const auto service = Checked(With(OpenOrder(), {{Changed(3, Status::kConfirmed, Status::kDelivered), "service:x"}}));
  EXPECT_TRUE(service.ok()) << service.Summary();
}

TEST(CourierInvariants, AReleaseAfterPickupOrOfAnotherCouriersDeliveryIsReported) {
  const auto late = Checked(With(OpenOrder(), {{Assigned(3, "c-7"), "courier:c-7"},
                                               {Changed(4, Status::kConfirmed, Status::kOutForDelivery), "courier:c-7"},
                                               {Unassigned(5, "c-7"), "courier:c-7"}}));
  EXPECT_TRUE(Mentions(late, "released a delivery that was already out_for_delivery")) << late.Summary();

  const auto other =
      Checked(With(OpenOrder(), {{Assigned(3, "c-7"), "courier:c-7"}, {Unassigned(4, "c-7"), "courier:c-8"}}));
  EXPECT_TRUE(Mentions(other, "courier c-7 was unassigned by courier:c-8")) << other.Summary();

  const auto staff =
      Checked(With(OpenOrder(), {{Assigned(3, "c-7"), "courier:c-7"},
                                 {Changed(4, Status::kConfirmed, Status::kOutForDelivery), "courier:c-7"},
                                 {Unassigned(5, "c-7"), "staff:ops"}}));
  EXPECT_TRUE(staff.ok()) << staff.Summary();
}

TEST(CourierInvariants, ADeclineOfAnOrderThatIsNotOpenOrInAnotherCouriersNameIsReported) {
  const auto assigned =
      Checked(With(OpenOrder(), {{Assigned(3, "c-7"), "courier:c-7"}, {Declined(4, "c-8"), "courier:c-8"}}));
  EXPECT_TRUE(Mentions(assigned, "c-8 declined an order that was not open")) << assigned.Summary();

  const auto other = Checked(With(OpenOrder(), {{Declined(3, "c-8"), "courier:c-9"}}));
  EXPECT_TRUE(Mentions(other, "decline by courier c-8 was made by courier:c-9")) << other.Summary();

  const auto fine =
      Checked(With(OpenOrder(), {{Declined(3, "c-8"), "courier:c-8"}, {Assigned(4, "c-7"), "courier:c-7"}}));
  EXPECT_TRUE(fine.ok()) << fine.Summary();
}

TEST(CourierInvariants, AnUnattributedLogTakesEveryCallerAsStaff) {
  // AUTH=off: the command service writes no actor, every caller is staff.
  auto log = Delivered();
  for (auto& record : log) record.actor.reset();
  const auto report = Checked(log);
  EXPECT_TRUE(report.ok()) << report.Summary();
  EXPECT_EQ(report.counts.at("delivery_moves_without_actor"), 2);
  // Rules that need no actor still hold there.
  auto twice = With(OpenOrder(), {{Assigned(3, "c-7"), std::nullopt}, {Assigned(4, "c-8"), std::nullopt}});
  for (auto& record : twice) record.actor.reset();
  EXPECT_TRUE(Mentions(Checked(twice), "two couriers at once"));
}

TEST(CourierInvariants, InAnAttributedLogARecordWithoutOrWithAMalformedActorIsReported) {
  auto missing = Delivered();
  missing[4].actor.reset();
  const auto report = Checked(missing);
  EXPECT_TRUE(Mentions(report, "without an orders_actor header")) << report.Summary();

  for (const std::string bad : {"c-7", "courier:", "driver:c-7"}) {
    auto malformed = Delivered();
    malformed[4].actor = bad;
    const auto checked = Checked(malformed);
    EXPECT_TRUE(Mentions(checked, "malformed orders_actor header \"" + bad + "\"")) << bad << ": " << checked.Summary();
  }
}

TEST(CourierInvariants, AnAcknowledgedAcceptanceMustBeInTheLogWithItsCourier) {
  Report report;
  const auto records = Log(Delivered());
  const auto fold = CheckLog(records, report);
  CheckAcknowledged(fold, records, {{kOrderId, 3, "confirmed", "c-7"}, {kOrderId, 5, "delivered", "c-7"}}, report);
  EXPECT_TRUE(report.ok()) << report.Summary();
  EXPECT_EQ(report.counts.at("acknowledged_acceptances"), 2);

  Report other;
  CheckAcknowledged(fold, records, {{kOrderId, 3, "confirmed", "c-8"}}, other);
  EXPECT_TRUE(Mentions(other, "accepted by courier c-8 but the log has courier c-7")) << other.Summary();

  Report before;
  CheckAcknowledged(fold, records, {{kOrderId, 2, "confirmed", "c-7"}}, before);
  EXPECT_TRUE(Mentions(before, "the log has courier none")) << before.Summary();

  // An acceptance answered by a version the log never reached (lost).
  const auto lost_log = Log(OpenOrder());
  Report lost;
  const auto lost_fold = CheckLog(lost_log, lost);
  CheckAcknowledged(lost_fold, lost_log, {{kOrderId, 3, "confirmed", "c-7"}}, lost);
  EXPECT_TRUE(Mentions(lost, "not in the log")) << lost.Summary();
}

TEST(CourierInvariants, TheAcknowledgementsFileKeepsTheCourier) {
  const auto path = (std::filesystem::temp_directory_path() / ("acks-" + std::to_string(::getpid()))).string();
  WriteAcknowledged(path, {{kOrderId, 3, "confirmed", "c-7"}, {kOrderId, 4, "shipped", ""}});
  const auto read = ReadAcknowledged(path);
  std::filesystem::remove(path);
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].courier_id, "c-7");
  EXPECT_EQ(read[1].courier_id, "");
  EXPECT_EQ(read[1].status, "shipped");
}

}  // namespace
}  // namespace orders::invariants
