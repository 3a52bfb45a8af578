// The page sends the staff's token to the command API named by ?api=. Checks,
// in headless Chromium, that a foreign ?api= is refused and no request leaves
// for it (neither from the page's own code nor from a script that ignores the
// page's check: the Content-Security-Policy blocks that), that the page's own
// host on a service port is accepted, and that the page loads without any
// CSP violation. Exits non-zero on any failure.
//
//   ORDERS_STAFF_TOKEN=<token> node page_api_origin.mjs <notifier-port>
import { chromium } from "playwright-core";

const [notifierPort] = process.argv.slice(2);
const base = `http://127.0.0.1:${notifierPort}`;
const foreign = "http://127.0.0.2:8080";
const step = (text) => console.log(`page: ${text}`);
const token = encodeURIComponent(process.env.ORDERS_STAFF_TOKEN || "");

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(10000);
  const sentToForeign = [];
  const violations = [];
  page.on("request", (request) => { if (request.url().startsWith(foreign)) sentToForeign.push(request.url()); });
  page.on("console", (message) => { if (/Content Security Policy/i.test(message.text())) violations.push(message.text()); });

  await page.goto(`${base}/?view=board&token=${token}&api=${encodeURIComponent(foreign)}`);
  await page.waitForSelector('#connection[data-state="open"]');
  await page.waitForSelector("#api-refused:not([hidden])");
  step("a foreign ?api= is refused visibly");

  await page.click('#new-order button[type="submit"]');
  await page.waitForFunction(() => document.getElementById("new-order-result").textContent.startsWith("not sent"));
  step("placing an order sends nothing");

  // Even a script that ignores the page's check cannot reach it.
  const blocked = await page.evaluate(async (url) => {
    try { await fetch(`${url}/orders`, { method: "POST", body: "{}" }); return false; } catch { return true; }
  }, foreign);
  if (!blocked) throw new Error("a fetch to the foreign origin was not blocked");
  if (sentToForeign.length) throw new Error(`requests left for ${foreign}: ${sentToForeign.join(", ")}`);
  step("the CSP blocks a direct fetch to it; no request left for it");

  const allowed = await browser.newPage();
  const allowedViolations = [];
  allowed.on("console", (message) => { if (/Content Security Policy/i.test(message.text())) allowedViolations.push(message.text()); });
  await allowed.goto(`${base}/?view=board&token=${token}&api=${encodeURIComponent("http://127.0.0.1:8081")}`);
  await allowed.waitForSelector('#connection[data-state="open"]');
  if (await allowed.isVisible("#api-refused")) throw new Error("the page's own host on a service port was refused");
  if (allowedViolations.length) throw new Error(`CSP violations on a normal load: ${allowedViolations.join(" | ")}`);
  step("the same host on a service port is accepted; the page loads without CSP violations");
  const stray = violations.filter((text) => !text.includes(foreign));
  if (stray.length) throw new Error(`unexpected CSP violations: ${stray.join(" | ")}`);
} finally {
  await browser.close();
}
