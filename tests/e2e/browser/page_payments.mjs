// The page's payment and stock views in headless Chromium against a scripted
// notifier, command API and query API (scripted_page.mjs): the customer sees an
// order's payment state change live ("payment authorized", then "confirmed"),
// declines, refunds and the workflow's cancellation reasons in plain words; the
// staff board shows each order's payment, offers no manual confirm of a pending
// order while the workflow is on (and shows the 409 awaiting-payment cleanly if
// one happens), and a stock-levels panel read from the query API, refreshed
// periodically and after order updates, flagging low stock, and saying "unavailable"
// when the query API has no /inventory (404) or cannot be reached. Exits non-zero
// on any failure; 77 (skipped) without Chromium or playwright-core unless
// ORDERS_TEST_REQUIRE_INFRA is set.
//
//   node page_payments.mjs <notifier/web folder> [screenshot-dir]
import { fail, launchBrowser, openPage, rowOf, tokenFor, until, uuid } from "./scripted_page.mjs";

const [webDir, screenshots] = process.argv.slice(2);
const step = (text) => console.log(`payments: ${text}`);
const at = () => new Date().toISOString();
const pending = { status: "pending", amountCents: 900 };
const authorized = { status: "authorized", paymentId: "pay_1", amountCents: 900 };
const order = (n, status, extra = {}) => ({
  orderId: uuid(n), customerId: "alice", items: [{ productId: "tea", quantity: 2, unitPriceCents: 450 }],
  currency: "USD", totalCents: 900, status, courierId: null, version: 1, createdAt: `2026-12-04T10:0${n}:00.000Z`,
  updatedAt: at(), payment: pending, ...extra,
});
const update = (n, version, event, status, previousStatus, payment, extra = {}) =>
  ({ type: "update", orderId: uuid(n), version, event, status, previousStatus, at: at(), payment, ...extra });
const placement = (n) => update(n, 1, "order.placed", "pending", null, pending, { order: order(n, "pending") });
const timelineOf = (page) => page.$$eval(".timeline li", (items) => items.map((item) => item.textContent.replace(/\s+/g, " ")));
const paymentOf = (page, n) => rowOf(page, "my-orders", n).locator("[data-payment]").getAttribute("data-payment");

const browser = await launchBrowser("payments");
try {
  // ---- customer: one order's payment, live ----
  const customer = await openPage(browser, webDir, tokenFor("alice", "customer"));
  customer.server.onSubscribe = (message, socket) => {
    if (message.customerId) {
      socket.send(JSON.stringify({ type: "snapshot", customerId: "alice", page: 0, last: true, orders: [order(1, "pending")] }));
    }
  };
  customer.send({ type: "snapshot", customerId: "alice", page: 0, last: true, orders: [order(1, "pending")] });
  await rowOf(customer.page, "my-orders", 1).waitFor();
  if ((await paymentOf(customer.page, 1)) !== "pending") fail("a new order's payment is not shown as pending");
  if (!(await rowOf(customer.page, "my-orders", 1).textContent()).includes("awaiting payment")) fail("no 'awaiting payment'");

  await rowOf(customer.page, "my-orders", 1).locator('button[data-action="track"]').click();
  await until("the timeline subscribes", () => customer.server.received.some((m) => m.orderId === uuid(1) && m.sinceVersion === 0));
  customer.send(placement(1));
  await customer.page.waitForFunction(() => document.getElementById("track-payment")?.dataset.payment === "pending");
  // The gateway authorizes: the payment changes while the order is still pending ...
  customer.send(update(1, 2, "order.payment_authorized", "pending", "pending", authorized));
  await customer.page.waitForFunction(() => document.getElementById("track-payment")?.dataset.payment === "authorized");
  if ((await customer.page.textContent("#track-status")) !== "pending") fail("the order moved before its confirmation came");
  if ((await paymentOf(customer.page, 1)) !== "authorized") fail("my orders do not show the authorized payment");
  let timeline = await timelineOf(customer.page);
  if (timeline.length !== 2 || !timeline[1].includes("payment authorized") || !timeline[1].includes("9.00 USD")) {
    fail(`timeline after the authorization: ${JSON.stringify(timeline)}`);
  }
  step("customer: 'payment authorized' appears live while the order is still pending");
  // ... then the workflow confirms it.
  customer.send(update(1, 3, "order.status_changed", "confirmed", "pending", authorized));
  await customer.page.waitForFunction(() => document.getElementById("track-status")?.textContent === "confirmed");
  timeline = await timelineOf(customer.page);
  if (timeline.length !== 3 || !timeline[0].includes("placed") || !timeline[1].includes("payment authorized") ||
      !timeline[2].includes("confirmed")) fail(`timeline: ${JSON.stringify(timeline)}`);
  if ((await customer.page.getAttribute("#track-payment", "data-payment")) !== "authorized") fail("payment lost on confirm");
  if (screenshots) await customer.page.screenshot({ path: `${screenshots}/payments-customer.png`, fullPage: true });
  step("customer: then 'confirmed': the timeline reads placed, payment authorized, confirmed");

  // A declined payment and the workflow's cancellation, in plain words.
  customer.send(placement(2));
  await rowOf(customer.page, "my-orders", 2).waitFor();
  await rowOf(customer.page, "my-orders", 2).locator('button[data-action="track"]').click();
  await until("order 2 is followed", () => customer.server.received.some((m) => m.orderId === uuid(2) && m.sinceVersion === 0));
  customer.send(placement(2));
  customer.send(update(2, 2, "order.payment_declined", "pending", "pending", { status: "declined", amountCents: 900 },
                       { reason: "insufficient_funds" }));
  customer.send(update(2, 3, "order.status_changed", "cancelled", "pending", { status: "declined", amountCents: 900 },
                       { reason: "payment_declined" }));
  await customer.page.waitForFunction(() => document.getElementById("track-status")?.textContent === "cancelled");
  timeline = await timelineOf(customer.page);
  if (!timeline[1]?.includes("payment declined") || !timeline[1].includes("insufficient_funds") ||
      !timeline[2]?.includes("cancelled — the payment was declined")) fail(`declined timeline: ${JSON.stringify(timeline)}`);
  if ((await paymentOf(customer.page, 2)) !== "declined") fail("my orders do not show the declined payment");
  step("customer: 'payment declined', then 'cancelled — the payment was declined'");

  // A refund after a cancellation of a paid order; the other reasons' words.
  customer.send(update(1, 4, "order.status_changed", "cancelled", "confirmed", authorized, { reason: "changed my mind" }));
  await rowOf(customer.page, "my-orders", 1).locator('.pill.cancelled').waitFor();
  customer.send(update(1, 5, "order.payment_refunded", "cancelled", "cancelled",
                       { status: "refunded", paymentId: "pay_1", amountCents: 900 }));
  await until("order 1's payment reads refunded", async () => (await paymentOf(customer.page, 1)) === "refunded");
  if (!(await rowOf(customer.page, "my-orders", 1).textContent()).includes("refunded")) fail("no 'refunded' on the row");
  for (const [n, reason, words] of [[3, "out_of_stock", "out of stock"], [4, "payment_timeout", "the payment did not arrive in time"]]) {
    customer.send(placement(n));
    await rowOf(customer.page, "my-orders", n).waitFor();
    await rowOf(customer.page, "my-orders", n).locator('button[data-action="track"]').click();
    await until(`order ${n} is followed`, () => customer.server.received.some((m) => m.orderId === uuid(n) && m.sinceVersion === 0));
    customer.send(placement(n));
    customer.send(update(n, 2, "order.status_changed", "cancelled", "pending", pending, { reason }));
    await customer.page.waitForFunction(() => document.getElementById("track-status")?.textContent === "cancelled");
    timeline = await timelineOf(customer.page);
    if (!timeline[1]?.includes(`cancelled — ${words}`)) fail(`${reason}: ${JSON.stringify(timeline)}`);
  }
  if (customer.problems.length) fail(`customer page: ${customer.problems.join(" | ")}`);
  step("customer: 'refunded' after a cancellation; out_of_stock and payment_timeout in plain words");

  // ---- staff, workflow on: payment column, no manual confirm, stock levels ----
  const staffToken = tokenFor("ops", "staff");
  let levels = [
    { productId: "espresso", onHand: 10, reserved: 7, available: 3, version: 4, updatedAt: at() },
    { productId: "tea", onHand: 100, reserved: 2, available: 98, version: 2, updatedAt: at() },
  ];
  const stock = () => ({ status: 200, body: { items: levels, nextCursor: null } });
  const staff = await openPage(browser, webDir, staffToken, { query: "&view=board", stock });
  staff.send({ type: "snapshot", all: true, page: 0, last: true,
               orders: [order(5, "pending"), order(6, "confirmed", { version: 3, payment: authorized })] });
  await rowOf(staff.page, "board", 5).waitFor();
  const pendingRow = rowOf(staff.page, "board", 5);
  if (await pendingRow.locator('button[data-action="advance"]').count()) fail("confirm offered for a pending order");
  if (!(await pendingRow.locator('button[data-action="cancel"]').count())) fail("cancel not offered for a pending order");
  if ((await pendingRow.locator("[data-payment]").getAttribute("data-payment")) !== "pending") fail("board payment column");
  if ((await rowOf(staff.page, "board", 6).locator('button[data-action="advance"]').textContent()) !== "→ processing") {
    fail("a confirmed order cannot be advanced");
  }
  // The payment column follows updates.
  staff.send(update(5, 2, "order.payment_authorized", "pending", "pending", authorized));
  await rowOf(staff.page, "board", 5).locator('[data-payment="authorized"]').waitFor();
  step("staff (workflow on): payment column follows updates; a pending order offers cancel, not confirm");

  await staff.page.locator('#stock tr[data-product="espresso"]').waitFor();
  const first = staff.query.calls[0];
  if (first.path !== "/inventory" || !/[?&]limit=\d+/.test(first.search) || first.authorization !== `Bearer ${staffToken}`) {
    fail(`stock levels asked ${JSON.stringify(first)}`);
  }
  const cells = await staff.page.$$eval('#stock tr[data-product="espresso"] td', (tds) => tds.map((td) => td.textContent));
  if (cells[1] !== "10" || cells[2] !== "7" || cells[3] !== "3" || !cells[4].includes("low")) fail(`espresso row ${cells}`);
  if (await staff.page.locator('#stock tr[data-product="tea"].low').count()) fail("tea flagged low with 98 available");
  step("stock panel: GET /inventory?limit=.. with the staff token; on hand, reserved, available; espresso flagged low");

  // After an order update the panel asks again at once (well before the periodic refresh).
  levels = [{ ...levels[0], reserved: 10, available: 0, version: 5 }, levels[1]];
  const asked = staff.query.calls.length;
  await until("a periodic refresh", () => staff.query.calls.length > asked, 7000);
  const afterUpdate = staff.query.calls.length;
  const sent = Date.now();
  staff.send(update(6, 4, "order.status_changed", "processing", "confirmed", authorized));
  await until("a refresh right after the update", () => staff.query.calls.length > afterUpdate, 1500);
  if (staff.query.calls.at(-1).at - sent > 1500) fail("the refresh after the update came late");
  await staff.page.locator('#stock tr[data-product="espresso"] .pill.low:text("out of stock")').waitFor();
  if (screenshots) await staff.page.screenshot({ path: `${screenshots}/payments-staff.png`, fullPage: true });
  step("stock panel: refreshed every few seconds and right after an order update (espresso now out of stock)");

  // Nobody looks at the panel while staff track an order: no requests; back on the board, one at once.
  await staff.page.click("#tab-track");
  await new Promise((resolve) => setTimeout(resolve, 400));
  const hidden = staff.query.calls.length;
  await new Promise((resolve) => setTimeout(resolve, 5500));
  if (staff.query.calls.length !== hidden) fail("stock levels asked while the board is hidden");
  await staff.page.click("#tab-board");
  await until("back on the board, stock levels are asked at once", () => staff.query.calls.length > hidden, 1000);
  step("stock panel: not asked while the board is hidden; asked at once when it is shown again");

  // The query API goes away: the panel says so and the board keeps working.
  staff.query.answer = () => null;
  staff.send(update(6, 5, "order.status_changed", "shipped", "processing", authorized));
  await staff.page.waitForFunction(() => /unavailable/.test(document.getElementById("stock-state").textContent));
  await rowOf(staff.page, "board", 6).locator(".pill.shipped").waitFor();
  if (staff.problems.length) fail(`staff page: ${staff.problems.join(" | ")}`);

  // ---- staff, a query API without /inventory (404): unavailable, nothing breaks ----
  const early = await openPage(browser, webDir, staffToken, { query: "&view=board" });
  await early.page.waitForFunction(() => /unavailable/.test(document.getElementById("stock-state").textContent));
  early.send({ type: "snapshot", all: true, page: 0, last: true, orders: [order(7, "confirmed", { payment: authorized })] });
  await rowOf(early.page, "board", 7).waitFor();
  if (await early.page.locator("#stock tr").count()) fail("stock rows without stock levels");
  if (early.problems.length) fail(`404 page: ${early.problems.join(" | ")}`);
  step("stock panel: unreachable query API or 404 -> 'stock levels are unavailable', the board works on");

  // ---- staff, a ?query= naming a foreign host: refused, the token goes nowhere ----
  const foreign = await openPage(browser, webDir, staffToken, { query: "&view=board", queryOrigin: "https://evil.example" });
  await foreign.page.waitForFunction(() => /not allowed/.test(document.getElementById("stock-state").textContent));
  if (foreign.requested.some((url) => new URL(url).hostname === "evil.example")) fail("a request went to the foreign query host");
  step("stock panel: a foreign ?query= is refused and nothing is sent to it");

  // ---- staff, workflow off: confirm offered; a 409 awaiting-payment is shown cleanly and confirm goes ----
  const manual = await openPage(browser, webDir, staffToken, { query: "&view=board", workflow: "off" });
  manual.send({ type: "snapshot", all: true, page: 0, last: true, orders: [order(8, "pending")] });
  const advance = rowOf(manual.page, "board", 8).locator('button[data-action="advance"]');
  if ((await advance.textContent()) !== "→ confirmed") fail("WORKFLOW=off: no manual confirm");
  manual.api.answer = () => ({ status: 409, body: { type: "urn:orders:problem:awaiting-payment", title: "Awaiting payment",
                                                    status: 409, detail: "This order is confirmed by its payment, not by hand." } });
  await advance.click();
  await manual.page.waitForSelector('#notice:not([hidden]):text("is awaiting payment")');
  const text = await manual.page.textContent("#notice");
  if (!text.includes("confirmed by its payment, not by hand") || /undefined|\[object/.test(text)) fail(`notice: ${text}`);
  await until("confirm is no longer offered", async () => !(await advance.count()));
  if (!(await rowOf(manual.page, "board", 8).locator('button[data-action="cancel"]').count())) fail("cancel went too");
  if (manual.problems.length) fail(`manual page: ${manual.problems.join(" | ")}`);
  step("staff (workflow off): confirm offered; a 409 awaiting-payment shows its text and confirm is withdrawn, cancel stays");
} finally {
  await browser.close();
}
