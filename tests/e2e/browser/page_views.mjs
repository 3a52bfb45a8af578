// The page's own logic in headless Chromium, without the services: the page
// files are served as the notifier serves them (same CSP), the WebSocket and the
// command API are scripted here. Checks what the end-to-end test cannot force:
// which view each role gets, how lists follow updates (an order taken by another
// courier or cancelled leaves the open list, one that opens joins it), what each
// button sends, a refused command's notice, and reconnect with resume (lists
// replaced by the new snapshots, the tracked order resumed from its last
// version). Exits non-zero on any failure; 77 (skipped) without Chromium or
// playwright-core unless ORDERS_TEST_REQUIRE_INFRA is set.
//
//   node page_views.mjs <notifier/web folder> [screenshot-dir]
import { fail, launchBrowser, openPage as open, rowIds, rowOf, tokenFor, until, uuid } from "./scripted_page.mjs";

const [webDir, screenshots] = process.argv.slice(2);
const step = (text) => console.log(`views: ${text}`);
const at = () => new Date().toISOString();
const order = (n, status, extra = {}) => ({
  orderId: uuid(n), customerId: "alice", items: [{ productId: "tea", quantity: 2, unitPriceCents: 450 }],
  currency: "USD", totalCents: 900, status, courierId: null, version: 2, createdAt: `2026-12-04T10:0${n}:00.000Z`,
  updatedAt: at(), ...extra,
});
const update = (n, version, event, status, extra = {}) =>
  ({ type: "update", orderId: uuid(n), version, event, status, previousStatus: null, at: at(), ...extra });

const browser = await launchBrowser("views");
const openPage = (token, query = "", connected = '#connection[data-state="open"]') =>
  open(browser, webDir, token, { query, connected });

try {
  // ---- courier ----
  const courierToken = tokenFor("bob", "courier");
  const courier = await openPage(courierToken);
  let openSnapshot = [order(1, "confirmed"), order(2, "processing")];
  courier.server.onSubscribe = (message, socket) => {
    if (message.openDeliveries) socket.send(JSON.stringify({ type: "snapshot", openDeliveries: true, page: 0, last: true, orders: openSnapshot }));
    if (message.courierId) socket.send(JSON.stringify({ type: "snapshot", courierId: message.courierId, page: 0, last: true, orders: [] }));
  };
  courier.send({ type: "snapshot", openDeliveries: true, page: 0, last: true, orders: openSnapshot });
  courier.send({ type: "snapshot", courierId: "bob", page: 0, last: true, orders: [] });
  await until("the courier sees both open deliveries", async () => (await rowIds(courier.page, "open-deliveries")).length === 2);
  if (!(await courier.page.isVisible("#view-courier")) || (await courier.page.isVisible("#view-board"))) fail("courier view not chosen");
  if ((await courier.page.textContent("#whoami")) !== "bob · courier") fail("whoami does not name the courier");
  const subscribed = courier.server.received.filter((m) => m.type === "subscribe").map((m) => JSON.stringify(m));
  if (!subscribed.includes('{"type":"subscribe","openDeliveries":true}') || !subscribed.includes('{"type":"subscribe","courierId":"bob"}')) {
    fail(`courier subscribed ${subscribed}`);
  }
  step("courier view: subscribed openDeliveries and courierId=bob; the open snapshot is listed");

  // Another courier takes order 2: it leaves the open list and is not ours.
  courier.send(update(2, 3, "order.courier_assigned", "processing", { courierId: "carol", open: false }));
  await rowOf(courier.page, "open-deliveries", 2).waitFor({ state: "detached" });
  if (await rowOf(courier.page, "my-deliveries", 2).count()) fail("another courier's delivery is listed as mine");
  // Order 3 opens (the update carries it whole); order 4 opens and is cancelled, told without the open flag.
  courier.send(update(3, 2, "order.status_changed", "confirmed", { open: true, order: order(3, "confirmed") }));
  await rowOf(courier.page, "open-deliveries", 3).waitFor();
  courier.send(update(4, 2, "order.status_changed", "confirmed", { order: order(4, "confirmed") }));
  await rowOf(courier.page, "open-deliveries", 4).waitFor();
  courier.send(update(4, 3, "order.status_changed", "cancelled", { reason: "out of stock" }));
  await rowOf(courier.page, "open-deliveries", 4).waitFor({ state: "detached" });
  // The notifier's open flag wins over the page's own rule (it knows, e.g., declines made in another tab).
  courier.send(update(3, 3, "order.status_changed", "processing", { open: false }));
  await rowOf(courier.page, "open-deliveries", 3).waitFor({ state: "detached" });
  courier.send(update(3, 4, "order.courier_unassigned", "processing", { open: true }));
  await rowOf(courier.page, "open-deliveries", 3).waitFor();
  step("open deliveries follow updates: taken by another courier or cancelled -> gone; opened -> listed; the open flag wins");

  // Accept order 1: PUT /courier with its own id and the bearer token; then it is mine.
  courier.api.answer = (call) => call.path.endsWith("/courier")
    ? { status: 200, body: order(1, "confirmed", { courierId: "bob", version: 3 }) } : { status: 200, body: {} };
  await rowOf(courier.page, "open-deliveries", 1).locator('button[data-action="accept"]').click();
  await rowOf(courier.page, "my-deliveries", 1).waitFor();
  await rowOf(courier.page, "open-deliveries", 1).waitFor({ state: "detached" });
  const accept = courier.api.calls.at(-1);
  if (accept.method !== "PUT" || accept.path !== `/orders/${uuid(1)}/courier` || accept.body.courierId !== "bob" ||
      accept.authorization !== `Bearer ${courierToken}`) fail(`accept sent ${JSON.stringify(accept)}`);
  // The live update of the same change is not applied twice or backwards.
  courier.send(update(1, 3, "order.courier_assigned", "confirmed", { courierId: "bob", open: false }));
  step("Accept sends PUT /orders/{id}/courier {courierId: bob} with the token; the order moves to my deliveries");

  // Picked up, then Delivered: PUT /status with those statuses.
  await rowOf(courier.page, "my-deliveries", 1).locator('button[data-action="picked-up"]').click();
  await until("picked up is sent", () => courier.api.calls.at(-1).body?.status === "out_for_delivery");
  courier.send(update(1, 4, "order.status_changed", "out_for_delivery", { courierId: "bob" }));
  await rowOf(courier.page, "my-deliveries", 1).locator('button[data-action="delivered"]').click();
  await until("delivered is sent", () => courier.api.calls.at(-1).body?.status === "delivered");
  if (courier.api.calls.at(-1).path !== `/orders/${uuid(1)}/status`) fail("delivered went elsewhere");
  step("Picked up -> PUT status out_for_delivery; Delivered -> PUT status delivered");

  // Decline order 3: POST /delivery-declines; it leaves the open list at once.
  await rowOf(courier.page, "open-deliveries", 3).locator('button[data-action="decline"]').click();
  await rowOf(courier.page, "open-deliveries", 3).waitFor({ state: "detached" });
  if (courier.api.calls.at(-1).path !== `/orders/${uuid(3)}/delivery-declines`) fail("decline went elsewhere");
  // A refused accept (taken meanwhile) is shown, and the order stays where the live feed puts it.
  courier.send(update(5, 2, "order.status_changed", "confirmed", { open: true, order: order(5, "confirmed") }));
  courier.api.answer = () => ({ status: 409, body: { title: "Conflict", detail: "another courier took this delivery" } });
  await rowOf(courier.page, "open-deliveries", 5).locator('button[data-action="accept"]').click();
  await courier.page.waitForSelector('#notice:not([hidden]):text("another courier took this delivery")');
  step("Decline -> POST delivery-declines and gone; a 409 on accept is shown in the notice");

  // Reconnect: the socket drops; the page says so, reconnects, subscribes again and the new snapshots replace the lists.
  openSnapshot = [order(6, "confirmed")];
  const before = courier.server.sockets.length;
  await courier.server.sockets.at(-1).close({ code: 1011, reason: "test" });
  await courier.page.waitForSelector('#connection[data-state="closed"]', { timeout: 2000 }).catch(() => {});
  await until("the page reconnects", () => courier.server.sockets.length > before);
  await courier.page.waitForSelector('#connection[data-state="open"]');
  await until("the open list is the new snapshot",
              async () => JSON.stringify(await rowIds(courier.page, "open-deliveries")) === JSON.stringify([uuid(6)]));
  if (screenshots) await courier.page.screenshot({ path: `${screenshots}/views-courier.png`, fullPage: true });
  if (courier.problems.length) fail(`courier page: ${courier.problems.join(" | ")}`);
  step("after a drop the page reconnects and the new snapshot replaces the open list");

  // ---- customer ----
  const customer = await openPage(tokenFor("alice", "customer"));
  customer.server.onSubscribe = (message, socket) => {
    if (message.customerId) socket.send(JSON.stringify({ type: "snapshot", customerId: "alice", page: 0, last: true, orders: [order(7, "pending")] }));
  };
  customer.send({ type: "snapshot", customerId: "alice", page: 0, last: true, orders: [order(7, "pending")] });
  await rowOf(customer.page, "my-orders", 7).waitFor();
  if (!(await customer.page.isVisible("#view-customer")) || (await customer.page.isVisible("#view-courier"))) fail("customer view not chosen");
  if (!customer.server.received.some((m) => m.type === "subscribe" && m.customerId === "alice")) fail("no customerId subscription");

  // Place an order with two lines in euros: no customerId in the body (the token's subject places it).
  customer.api.answer = (call) => call.method === "POST" ? { status: 201, body: order(8, "pending", { version: 1 }) } : { status: 200, body: {} };
  await customer.page.click("#add-line");
  const lines = customer.page.locator("#order-lines .line");
  await lines.nth(1).locator('[name="productId"]').fill("cake");
  await lines.nth(1).locator('[name="quantity"]').fill("3");
  await lines.nth(1).locator('[name="unitPrice"]').fill("3.25");
  await customer.page.selectOption("#order-currency", "EUR");
  if ((await customer.page.textContent("#order-total")) !== "18.75 EUR") fail(`total shows ${await customer.page.textContent("#order-total")}`);
  await customer.page.click('#customer-order button[type="submit"]');
  await rowOf(customer.page, "my-orders", 8).waitFor();
  const placed = customer.api.calls.at(-1);
  const expectedBody = { items: [{ productId: "tea", quantity: 2, unitPriceCents: 450 }, { productId: "cake", quantity: 3, unitPriceCents: 325 }], currency: "EUR" };
  if (placed.path !== "/orders" || JSON.stringify(placed.body) !== JSON.stringify(expectedBody)) fail(`placed ${JSON.stringify(placed)}`);
  if ((await lines.count()) !== 1 || (await lines.nth(0).locator('[name="productId"]').inputValue()) !== "") {
    fail("after placing, the form is not back to one empty line");
  }
  step("customer view: POST /orders with both lines in cents, the currency, and no customerId; the form starts afresh");

  // Cancel while allowed; no cancel once out for delivery.
  await rowOf(customer.page, "my-orders", 7).locator('button[data-action="cancel"]').click();
  await until("cancel is sent", () => customer.api.calls.at(-1).body?.status === "cancelled");
  customer.send(update(7, 3, "order.courier_assigned", "confirmed", { courierId: "bob" }));
  customer.send(update(7, 4, "order.status_changed", "out_for_delivery", { courierId: "bob" }));
  await rowOf(customer.page, "my-orders", 7).and(customer.page.locator('[data-status="out_for_delivery"]')).waitFor();
  if (await rowOf(customer.page, "my-orders", 7).locator('button[data-action="cancel"]').count()) fail("cancel offered out for delivery");
  if ((await rowOf(customer.page, "my-orders", 7).locator(".courier").textContent()) !== "bob") fail("courier not shown");
  step("cancel sends PUT status cancelled; out for delivery: courier shown, no cancel");

  // The timeline: subscribe from version 0, draw each event; after a drop, resume from the last version seen.
  await rowOf(customer.page, "my-orders", 8).locator('button[data-action="track"]').click();
  await until("the timeline subscribes from 0", () => customer.server.received.some((m) => m.orderId === uuid(8) && m.sinceVersion === 0));
  customer.send(update(8, 1, "order.placed", "pending", { order: order(8, "pending", { version: 1 }) }));
  customer.send(update(8, 2, "order.status_changed", "confirmed", { previousStatus: "pending", reason: "paid" }));
  customer.send(update(8, 3, "order.courier_assigned", "confirmed", { courierId: "bob" }));
  await customer.page.waitForFunction(() => document.getElementById("track-courier")?.textContent === "bob");
  const before2 = customer.server.sockets.length;
  await customer.server.sockets.at(-1).close({ code: 1011, reason: "test" });
  await until("the timeline resumes from version 3", () => customer.server.sockets.length > before2 &&
    customer.server.received.some((m) => m.orderId === uuid(8) && m.sinceVersion === 3));
  customer.send(update(8, 4, "order.status_changed", "out_for_delivery", { courierId: "bob" }));
  await customer.page.waitForFunction(() => document.getElementById("track-status")?.textContent === "out for delivery");
  const timeline = await customer.page.$$eval(".timeline li", (items) => items.map((item) => item.textContent));
  if (timeline.length !== 4 || !timeline[2].includes("courier bob assigned") || !timeline[1].includes("paid")) {
    fail(`timeline ${JSON.stringify(timeline)}`);
  }
  if (screenshots) await customer.page.screenshot({ path: `${screenshots}/views-customer.png`, fullPage: true });
  if (customer.problems.length) fail(`customer page: ${customer.problems.join(" | ")}`);
  step("timeline: from version 0, each event drawn; after a drop it resumes with sinceVersion 3");

  // ---- staff (and no token: auth off) ----
  const staff = await openPage(tokenFor("ops", "staff"), "&view=board");
  if (!staff.server.received.some((m) => m.type === "subscribe" && m.all === true)) fail("the board did not subscribe all");
  staff.send({ type: "snapshot", all: true, page: 0, last: true, orders: [order(9, "confirmed"), order(1, "confirmed", { courierId: "bob" })] });
  await rowOf(staff.page, "board", 9).waitFor();
  if ((await rowOf(staff.page, "board", 1).locator(".courier").textContent()) !== "bob") fail("courier column empty");
  if (await rowOf(staff.page, "board", 1).locator('button[data-action="assign"]').count()) fail("assign offered on an assigned order");
  staff.page.once("dialog", (dialog) => dialog.accept("carol"));
  await rowOf(staff.page, "board", 9).locator('button[data-action="assign"]').click();
  await until("assign is sent", () => staff.api.calls.at(-1)?.body?.courierId === "carol");
  if (staff.api.calls.at(-1).path !== `/orders/${uuid(9)}/courier` || staff.api.calls.at(-1).method !== "PUT") fail("assign went elsewhere");
  await rowOf(staff.page, "board", 9).locator('button[data-action="advance"]').click();
  await until("advance is sent", () => staff.api.calls.at(-1)?.body?.status === "processing");
  if (staff.api.calls.at(-1).ifMatch !== '"2"') fail(`advance sent If-Match ${staff.api.calls.at(-1).ifMatch}`);
  if (staff.problems.length) fail(`staff page: ${staff.problems.join(" | ")}`);
  const anonymous = await openPage("", "&view=board");
  if (!(await anonymous.page.isVisible("#view-board"))) fail("without a token the page is not the staff view");
  // A token that expires while connected: the session closes, and the page stops retrying and says why.
  const expiring = await openPage(tokenFor("bob", "courier", 2));
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const attempts = expiring.server.sockets.length;
  await expiring.server.sockets.at(-1).close({ code: 1008, reason: "token expired" });
  await expiring.page.waitForSelector('#connection[data-state="expired"]');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  if (expiring.server.sockets.length !== attempts) fail("the page kept reconnecting with an expired token");
  const expired = await openPage(tokenFor("bob", "courier", -60), "", '#connection[data-state="expired"]');
  if (expired.server.sockets.length) fail("the page connected with an expired token");
  step("an expired token: no reconnect loop, the header says the token expired");
  step("staff board: courier column, assign courier -> PUT /orders/{id}/courier {courierId: carol}; no token -> staff view");
} finally {
  await browser.close();
}
