// The customer's view of one order against a real notifier, while the test
// around it (tests/e2e/notifier/page_payment_live_test.cpp) writes the
// workflow's events to Kafka one at a time: the page must show each step live,
// in order. It prints a line after each step it saw; the test writes the next
// event only then, so "payment authorized" is seen while the order is still
// pending, before "confirmed" exists. Exits non-zero on any failure.
//
// With `saga` the real fulfilment workflow writes the events (authorization
// and confirmation back to back), so the page is only required to go from
// awaiting payment to confirmed with all three steps in its timeline.
//
//   ORDERS_CUSTOMER_TOKEN=... node payment_live.mjs <notifier-port> <orderId> [screenshot-dir] [saga]
import { chromium } from "playwright-core";

const [notifierPort, orderId, screenshots, mode] = process.argv.slice(2);
const saga = mode === "saga";
const base = `http://127.0.0.1:${notifierPort}`;
const customerToken = encodeURIComponent(process.env.ORDERS_CUSTOMER_TOKEN || "");

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
const problems = [];
const fail = (text) => { throw new Error(text); };
const state = (page) => page.evaluate((id) => ({
  status: document.getElementById("track-status")?.textContent,
  payment: document.getElementById("track-payment")?.dataset.payment,
  row: document.querySelector(`#my-orders tr[data-order="${id}"] [data-payment]`)?.dataset.payment,
  timeline: [...document.querySelectorAll(".timeline li")].map((item) => item.textContent.replace(/\s+/g, " ").trim()),
}), orderId);
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(15000);
  page.on("pageerror", (error) => problems.push(error.message));
  await page.goto(`${base}/?order=${orderId}&token=${customerToken}`);
  await page.waitForFunction(() => document.getElementById("track-payment")?.dataset.payment === "pending");
  let now = await state(page);
  if (now.status !== "pending" || now.row !== "pending") fail(`at first: ${JSON.stringify(now)}`);
  console.log("ready: pending, awaiting payment");

  if (!saga) {
    await page.waitForFunction(() => document.getElementById("track-payment")?.dataset.payment === "authorized");
    now = await state(page);
    if (now.status !== "pending" || !now.timeline.at(-1).includes("payment authorized")) fail(`authorized: ${JSON.stringify(now)}`);
    await page.waitForFunction((id) =>
      document.querySelector(`#my-orders tr[data-order="${id}"] [data-payment]`)?.dataset.payment === "authorized", orderId);
    console.log("seen: payment authorized while pending");
  }

  await page.waitForFunction(() => document.getElementById("track-status")?.textContent === "confirmed");
  now = await state(page);
  const names = now.timeline.map((text) => text.replace(/^.*· v\d+\s*/, ""));
  if (names.length !== 3 || !names[0].startsWith("placed") || !names[1].startsWith("payment authorized") ||
      !names[2].startsWith("confirmed") || now.payment !== "authorized") fail(`confirmed: ${JSON.stringify(now)}`);
  if (screenshots) {
    await page.screenshot({ path: `${screenshots}/payment-live-customer${saga ? "-saga" : ""}.png`, fullPage: true });
  }
  if (problems.length) fail(`page errors: ${problems.join(" | ")}`);
  console.log(`seen: confirmed; timeline ${JSON.stringify(names)}`);
} finally {
  await browser.close();
}
