// The permission table of the contract (orders/domain/access.hpp), row by row.

#include <gtest/gtest.h>

#include <orders/domain/access.hpp>

namespace orders::domain {
namespace {

const Actor kCustomer{ActorRole::kCustomer, "customer-1"};
const Actor kOtherCustomer{ActorRole::kCustomer, "customer-2"};
const Actor kCourier{ActorRole::kCourier, "courier-1"};
const Actor kOtherCourier{ActorRole::kCourier, "courier-2"};
const Actor kStaff{ActorRole::kStaff, "ops"};
const Actor kService{ActorRole::kService, "checkout"};

Order OrderOf(Status status, std::string courier = "", std::string customer = "customer-1") {
  Order order;
  order.order_id = "6f1c2b7e-8a4d-4e3b-9c1a-2d3e4f5a6b7c";
  order.customer_id = std::move(customer);
  order.status = status;
  order.courier_id = std::move(courier);
  order.version = 2;
  return order;
}

TEST(Access, CustomersSeeOnlyTheirOwnOrders) {
  const Order order = OrderOf(Status::kConfirmed);
  EXPECT_TRUE(MaySee(kCustomer, order));
  EXPECT_FALSE(MaySee(kOtherCustomer, order));
}

TEST(Access, CouriersSeeTheirDeliveriesAndEveryOpenOneButNothingElse) {
  EXPECT_TRUE(MaySee(kCourier, OrderOf(Status::kConfirmed)));
  EXPECT_TRUE(MaySee(kCourier, OrderOf(Status::kProcessing)));
  EXPECT_TRUE(MaySee(kCourier, OrderOf(Status::kOutForDelivery, "courier-1")));
  EXPECT_TRUE(MaySee(kCourier, OrderOf(Status::kDelivered, "courier-1")));
  EXPECT_FALSE(MaySee(kCourier, OrderOf(Status::kConfirmed, "courier-2")));
  EXPECT_FALSE(MaySee(kCourier, OrderOf(Status::kPending)));
  EXPECT_FALSE(MaySee(kCourier, OrderOf(Status::kShipped)));
  EXPECT_FALSE(MaySee(kCourier, OrderOf(Status::kCancelled)));
}

TEST(Access, StaffAndServicesSeeEverything) {
  for (const Actor& actor : {kStaff, kService}) {
    EXPECT_TRUE(MaySee(actor, OrderOf(Status::kPending, "", "anyone")));
    EXPECT_TRUE(MaySee(actor, OrderOf(Status::kDelivered, "courier-9")));
  }
}

TEST(Access, CustomersPlaceForThemselvesCouriersNeverStaffForAnyone) {
  EXPECT_EQ(MayPlace(kCustomer, "customer-1"), Verdict::kAllowed);
  EXPECT_EQ(MayPlace(kCustomer, "customer-2"), Verdict::kForbidden);
  EXPECT_EQ(MayPlace(kCourier, "courier-1"), Verdict::kForbidden);
  EXPECT_EQ(MayPlace(kStaff, "customer-2"), Verdict::kAllowed);
  EXPECT_EQ(MayPlace(kService, "customer-2"), Verdict::kAllowed);
}

TEST(Access, CustomersOnlyCancelTheirOwnOrders) {
  const Order order = OrderOf(Status::kPending);
  EXPECT_EQ(MayChangeStatus(kCustomer, order, Status::kCancelled), Verdict::kAllowed);
  EXPECT_EQ(MayChangeStatus(kCustomer, order, Status::kConfirmed), Verdict::kForbidden);
  EXPECT_EQ(MayChangeStatus(kCustomer, order, Status::kDelivered), Verdict::kForbidden);
  EXPECT_EQ(MayChangeStatus(kOtherCustomer, order, Status::kCancelled), Verdict::kHidden);
}

TEST(Access, CouriersOnlyPickUpAndDeliverWhatIsAssignedToThem) {
  const Order mine = OrderOf(Status::kProcessing, "courier-1");
  EXPECT_EQ(MayChangeStatus(kCourier, mine, Status::kOutForDelivery), Verdict::kAllowed);
  EXPECT_EQ(MayChangeStatus(kCourier, mine, Status::kDelivered), Verdict::kAllowed);
  EXPECT_EQ(MayChangeStatus(kCourier, mine, Status::kShipped), Verdict::kForbidden);
  EXPECT_EQ(MayChangeStatus(kCourier, mine, Status::kCancelled), Verdict::kForbidden);
  EXPECT_EQ(MayChangeStatus(kCourier, OrderOf(Status::kConfirmed), Status::kOutForDelivery), Verdict::kForbidden)
      << "an open delivery is not its own yet";
  EXPECT_EQ(MayChangeStatus(kCourier, OrderOf(Status::kPending), Status::kOutForDelivery), Verdict::kHidden);
}

// Regression: another courier's order was hidden (404); the contract answers 403, as for every
// delivery command a courier sends for it.
TEST(Access, ACourierMovingAnotherCouriersOrderIsForbiddenNotHidden) {
  const Order theirs = OrderOf(Status::kOutForDelivery, "courier-2");
  EXPECT_EQ(MayChangeStatus(kCourier, theirs, Status::kDelivered), Verdict::kForbidden);
  EXPECT_EQ(MayChangeStatus(kCourier, OrderOf(Status::kDelivered, "courier-2"), Status::kDelivered),
            Verdict::kForbidden);
}

TEST(Access, StaffAndServicesMakeAnyMoveTheLifecycleAllows) {
  for (const Actor& actor : {kStaff, kService}) {
    EXPECT_EQ(MayChangeStatus(actor, OrderOf(Status::kPending), Status::kDelivered), Verdict::kAllowed);
    EXPECT_EQ(MayChangeStatus(actor, OrderOf(Status::kProcessing, "courier-1"), Status::kCancelled), Verdict::kAllowed);
  }
}

TEST(Access, CouriersHandleDeliveriesForThemselvesOnly) {
  const Order open = OrderOf(Status::kConfirmed);
  EXPECT_EQ(MayHandleDelivery(kCourier, open, "courier-1"), Verdict::kAllowed);
  EXPECT_EQ(MayHandleDelivery(kCourier, open, "courier-2"), Verdict::kForbidden);
  // Whether it is still free is Decide's answer (409), not the table's.
  EXPECT_EQ(MayHandleDelivery(kOtherCourier, OrderOf(Status::kConfirmed, "courier-1"), "courier-2"), Verdict::kAllowed);
}

TEST(Access, CustomersNeverHandleDeliveriesAndOnlyLearnAboutTheirOwnOrders) {
  const Order order = OrderOf(Status::kConfirmed);
  EXPECT_EQ(MayHandleDelivery(kCustomer, order, "customer-1"), Verdict::kForbidden);
  EXPECT_EQ(MayHandleDelivery(kOtherCustomer, order, "customer-2"), Verdict::kHidden);
}

TEST(Access, StaffAndServicesAssignAnyone) {
  for (const Actor& actor : {kStaff, kService}) {
    EXPECT_EQ(MayHandleDelivery(actor, OrderOf(Status::kPending), "never-seen"), Verdict::kAllowed);
  }
}

}  // namespace
}  // namespace orders::domain
