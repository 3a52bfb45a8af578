// Drives the tracking page and staff board in headless Chromium:
// create an order through the page, advance it on the board, and see the
// customer view update live. Exits non-zero on any failure.
//
//   ORDERS_STAFF_TOKEN=... ORDERS_CUSTOMER_TOKEN=... node page_flow.mjs <command-port> <notifier-port> <screenshot.png>
//
// The services run with auth on: each page is opened as run.sh prints it, with
// its token in ?token= (the customer's token names "browser-customer").
import { chromium } from "playwright-core";

// With a query port, the board's stock panel reads the query API there and must show the
// test's tracked product (e2e-tea, 7 on hand).
const [commandPort, notifierPort, screenshot, queryPort] = process.argv.slice(2);
const base = `http://127.0.0.1:${notifierPort}`;
const api = `http://127.0.0.1:${commandPort}`;
const step = (text) => console.log(`page: ${text}`);
const staffToken = encodeURIComponent(process.env.ORDERS_STAFF_TOKEN || "");
const customerToken = encodeURIComponent(process.env.ORDERS_CUSTOMER_TOKEN || "");

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
try {
  const board = await browser.newPage();
  board.setDefaultTimeout(10000);
  const queryParam = queryPort ? `&query=${encodeURIComponent(`http://127.0.0.1:${queryPort}`)}` : "";
  await board.goto(`${base}/?view=board&api=${encodeURIComponent(api)}${queryParam}&token=${staffToken}`);
  await board.waitForSelector('#connection[data-state="open"]');
  step("board connected");
  if (queryPort) {
    // The projection folds the new level within a second or two; the panel refreshes every few seconds.
    await board.waitForSelector('#stock tr[data-product="e2e-tea"]', { timeout: 30000 }).catch(async (error) => {
      const state = await board.$eval("#stock-state", (element) => element.textContent);
      throw new Error(`stock panel: ${state} (${error.message})`);
    });
    const row = await board.$eval('#stock tr[data-product="e2e-tea"]', (element) => element.textContent);
    if (!row.includes("7")) throw new Error(`stock panel row: ${row}`);
    step(`stock panel shows e2e-tea from the query API: ${row.replace(/\s+/g, " ").trim()}`);
  }

  await board.fill('#new-order input[name="customerId"]', "browser-customer");
  await board.click('#new-order button[type="submit"]');
  await board.waitForFunction(() => document.getElementById("new-order-result").dataset.orderId);
  const orderId = await board.$eval("#new-order-result", (element) => element.dataset.orderId);
  await board.waitForSelector(`tr[data-order="${orderId}"]`);
  step(`order ${orderId} placed through the page and shown on the board`);

  const customer = await browser.newPage();
  customer.setDefaultTimeout(10000);
  await customer.goto(`${base}/?order=${orderId}&token=${customerToken}`);
  await customer.waitForFunction(() => document.getElementById("track-status")?.textContent === "pending");
  step("customer view shows pending");

  await board.click(`tr[data-order="${orderId}"] button[data-action="advance"]`);
  await customer.waitForFunction(() => document.getElementById("track-status")?.textContent === "confirmed");
  await board.waitForSelector(`tr[data-order="${orderId}"] .pill.confirmed`);
  step("advanced on the board; the customer view updated live");

  const steps = await customer.$$eval(".timeline li", (items) => items.length);
  if (steps !== 2) throw new Error(`timeline has ${steps} steps, expected 2`);
  await customer.screenshot({ path: screenshot, fullPage: true });
  step(`screenshot ${screenshot}`);
} finally {
  await browser.close();
}
