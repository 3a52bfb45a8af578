// The delivery story in headless Chromium, each person in their own browser
// context, as ./infra/run.sh prints their page URLs: a customer places an order
// with two lines; staff confirm it on the board; a courier sees it appear in
// open deliveries, accepts it (it leaves the open list and shows in theirs),
// picks it up and delivers it; the customer's view shows every step live
// (status and courier, in the list and the timeline). Then a second order: the
// courier declines it (it leaves their open list), staff assign it to the
// courier with the board's "assign courier" action, and it shows in the
// courier's deliveries. Fails on any page error or CSP violation.
//
//   ORDERS_STAFF_TOKEN=... ORDERS_CUSTOMER_TOKEN=... ORDERS_COURIER_TOKEN=... \
//     node delivery_flow.mjs <command-port> <notifier-port> <screenshot-dir>
import { chromium } from "playwright-core";

const [commandPort, notifierPort, screenshots] = process.argv.slice(2);
const base = `http://127.0.0.1:${notifierPort}`;
const api = `http://127.0.0.1:${commandPort}`;
const step = (text) => console.log(`delivery: ${text}`);
const subjectOf = (token) => JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()).sub;
const tokens = { staff: process.env.ORDERS_STAFF_TOKEN || "", customer: process.env.ORDERS_CUSTOMER_TOKEN || "",
                 courier: process.env.ORDERS_COURIER_TOKEN || "" };
const courierId = subjectOf(tokens.courier);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
const problems = [];

// A page of its own browser context (its own storage, like another person's browser), signed in with `who`'s token.
async function open(who, extra = "") {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  page.on("pageerror", (error) => problems.push(`${who}: ${error.message}`));
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) problems.push(`${who}: ${message.text()}`);
  });
  await page.goto(`${base}/?api=${encodeURIComponent(api)}${extra}&token=${encodeURIComponent(tokens[who])}`);
  await page.waitForSelector('#connection[data-state="open"]').catch(async (error) => {
    throw new Error(`${who}: not connected ("${await page.textContent("#connection")}"): ${error.message}`);
  });
  return page;
}

const row = (page, table, id) => page.locator(`#${table} tr[data-order="${id}"]`);
async function expectStatus(page, table, id, status) {
  await row(page, table, id).and(page.locator(`[data-status="${status}"]`)).waitFor();
}
async function expectGone(page, table, id) { await row(page, table, id).waitFor({ state: "detached" }); }

async function placeAsCustomer(customer, lines, currency) {
  await customer.evaluate(() => { delete document.getElementById("customer-order-result").dataset.orderId; });
  while (await customer.locator("#order-lines .line").count() < lines.length) await customer.click("#add-line");
  while (await customer.locator("#order-lines .line").count() > lines.length) {
    await customer.locator('#order-lines .line [data-action="remove-line"]').last().click();
  }
  const rows = customer.locator("#order-lines .line");
  for (const [index, [product, quantity, price]] of lines.entries()) {
    await rows.nth(index).locator('[name="productId"]').fill(product);
    await rows.nth(index).locator('[name="quantity"]').fill(String(quantity));
    await rows.nth(index).locator('[name="unitPrice"]').fill(price);
  }
  await customer.selectOption("#order-currency", currency);
  await customer.click('#customer-order button[type="submit"]');
  await customer.waitForFunction(() => document.getElementById("customer-order-result").dataset.orderId);
  return customer.$eval("#customer-order-result", (element) => element.dataset.orderId);
}

try {
  const customer = await open("customer");
  const courier = await open("courier");
  const board = await open("staff", "&view=board");
  if (!(await customer.textContent("#whoami")).includes("customer")) throw new Error("customer view not chosen");
  if (await courier.locator("#view-courier").isHidden()) throw new Error("courier view not chosen");
  step("customer, courier and staff pages connected, each in its own view");

  // 1. The customer places an order with two lines, in euros.
  const id = await placeAsCustomer(customer, [["tea", 2, "4.50"], ["cake", 1, "3.25"]], "EUR");
  await expectStatus(customer, "my-orders", id, "pending");
  const listed = await row(customer, "my-orders", id).textContent();
  if (!listed.includes("2× tea") || !listed.includes("1× cake") || !listed.includes("12.25 EUR")) {
    throw new Error(`my orders shows "${listed}", expected both lines and 12.25 EUR`);
  }
  await row(customer, "my-orders", id).locator('button[data-action="track"]').click();
  await customer.waitForFunction(() => document.getElementById("track-status")?.textContent === "pending");
  step(`customer placed ${id} (2 lines, 12.25 EUR); pending in my orders and the timeline`);

  // Pending is not open for delivery: the courier does not see it yet.
  await expectStatus(board, "board", id, "pending");
  if (await row(courier, "open-deliveries", id).count()) throw new Error("a pending order is listed as open");

  // 2. Staff confirm it on the board: it opens for delivery.
  await row(board, "board", id).locator('button[data-action="advance"]').click();
  await expectStatus(courier, "open-deliveries", id, "confirmed");
  await expectStatus(customer, "my-orders", id, "confirmed");
  step("staff confirmed it; it appeared in the courier's open deliveries; the customer saw confirmed");
  await courier.screenshot({ path: `${screenshots}/delivery-courier-open.png`, fullPage: true });

  // 3. The courier accepts: gone from open, in my deliveries; the customer and the board see the courier.
  await row(courier, "open-deliveries", id).locator('button[data-action="accept"]').click();
  await expectGone(courier, "open-deliveries", id);
  await expectStatus(courier, "my-deliveries", id, "confirmed");
  await row(customer, "my-orders", id).locator(".courier", { hasText: courierId }).waitFor();
  await customer.waitForFunction((name) => document.getElementById("track-courier")?.textContent === name, courierId);
  await row(board, "board", id).locator(".courier", { hasText: courierId }).waitFor();
  step(`courier ${courierId} accepted: left open deliveries, in my deliveries; customer and board show the courier`);

  // 4. Picked up, then delivered; the customer follows each step.
  await row(courier, "my-deliveries", id).locator('button[data-action="picked-up"]').click();
  await expectStatus(customer, "my-orders", id, "out_for_delivery");
  await customer.waitForFunction(() => document.getElementById("track-status")?.textContent === "out for delivery");
  await row(courier, "my-deliveries", id).locator('button[data-action="delivered"]').click();
  await expectStatus(customer, "my-orders", id, "delivered");
  await customer.waitForFunction(() => document.getElementById("track-status")?.textContent === "delivered");
  await expectStatus(courier, "my-deliveries", id, "delivered");
  const timeline = await customer.$$eval(".timeline li", (items) => items.map((item) => item.dataset.event));
  const expected = ["order.placed", "order.status_changed", "order.courier_assigned", "order.status_changed",
                    "order.status_changed"];
  if (JSON.stringify(timeline) !== JSON.stringify(expected)) {
    throw new Error(`timeline ${JSON.stringify(timeline)}, expected ${JSON.stringify(expected)}`);
  }
  if (await row(customer, "my-orders", id).locator('button[data-action="cancel"]').count()) {
    throw new Error("a delivered order still offers cancel");
  }
  step("picked up -> out for delivery -> delivered, each seen live by the customer; timeline has all 5 steps");
  await customer.screenshot({ path: `${screenshots}/delivery-customer.png`, fullPage: true });

  // 5. A second order: the courier declines it, staff assign it to the courier anyway.
  const second = await placeAsCustomer(customer, [["soup", 1, "6.00"]], "USD");
  await expectStatus(customer, "my-orders", second, "pending");
  const secondListed = await row(customer, "my-orders", second).textContent();
  if (!secondListed.includes("1× soup") || secondListed.includes("cake")) throw new Error(`second order shows "${secondListed}"`);
  await expectStatus(board, "board", second, "pending");
  await row(board, "board", second).locator('button[data-action="advance"]').click();
  await expectStatus(courier, "open-deliveries", second, "confirmed");
  await row(courier, "open-deliveries", second).locator('button[data-action="decline"]').click();
  await expectGone(courier, "open-deliveries", second);
  // After a reload the server's open list leaves it out too (the decline is remembered, not just hidden).
  await courier.reload();
  await courier.waitForSelector('#connection[data-state="open"]');
  await expectStatus(courier, "my-deliveries", id, "delivered");
  if (await row(courier, "open-deliveries", second).count()) throw new Error("a declined delivery is listed again");
  step(`courier declined ${second}: gone from open deliveries, also after a reload`);

  board.once("dialog", (dialog) => dialog.accept(courierId));
  await row(board, "board", second).locator('button[data-action="assign"]').click();
  await row(board, "board", second).locator(".courier", { hasText: courierId }).waitFor();
  await expectStatus(courier, "my-deliveries", second, "confirmed");
  await row(customer, "my-orders", second).locator(".courier", { hasText: courierId }).waitFor();
  step("staff assigned it to the courier from the board; the courier and the customer see it");
  await courier.screenshot({ path: `${screenshots}/delivery-courier.png`, fullPage: true });
  await board.screenshot({ path: `${screenshots}/delivery-board.png`, fullPage: true });

  if (problems.length) throw new Error(`page problems:\n${problems.join("\n")}`);
  step("no page errors, no CSP violations");
} catch (error) {
  // What the pages reported says more than the timeout that followed it.
  if (problems.length) console.log(`delivery: page problems:\n${problems.join("\n")}`);
  throw error;
} finally {
  await browser.close();
}
