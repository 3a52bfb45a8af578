// The page on a network that blocks WebSockets, in headless Chromium: it falls
// back to server-sent events (GET /events), says so, and still shows live
// updates of an order placed and advanced through the command API; tracking
// that order resumes with lastEventId. A normal context stays on the WebSocket.
// Exits non-zero on any failure.
//
//   ORDERS_STAFF_TOKEN=... ORDERS_CUSTOMER_TOKEN=... node sse_fallback.mjs <command-port> <notifier-port> <artifacts-dir>
//
// The customer's token names "browser-customer".
import { chromium } from "playwright-core";

const [commandPort, notifierPort, artifacts] = process.argv.slice(2);
const base = `http://127.0.0.1:${notifierPort}`;
const api = `http://127.0.0.1:${commandPort}`;
const step = (text) => console.log(`sse page: ${text}`);
const staffToken = process.env.ORDERS_STAFF_TOKEN || "";
const customerToken = process.env.ORDERS_CUSTOMER_TOKEN || "";

async function call(method, path, body, token) {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}`,
               "Idempotency-Key": crypto.randomUUID() },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
try {
  // A network that refuses WebSockets: every attempt fails before it opens,
  // as behind a proxy that drops the upgrade.
  const blocked = await browser.newContext();
  await blocked.addInitScript(() => {
    window.blockedSocketAttempts = 0;
    class BlockedWebSocket extends EventTarget {
      static CONNECTING = 0;
      static OPEN = 1;
      static CLOSING = 2;
      static CLOSED = 3;
      constructor(url) {
        super();
        this.url = url;
        this.readyState = BlockedWebSocket.CONNECTING;
        window.blockedSocketAttempts += 1;
        setTimeout(() => {
          this.readyState = BlockedWebSocket.CLOSED;
          const error = new Event("error");
          this.onerror?.(error);
          this.dispatchEvent(error);
          const close = new CloseEvent("close", { code: 1006, wasClean: false });
          this.onclose?.(close);
          this.dispatchEvent(close);
        }, 20);
      }
      send() { throw new DOMException("WebSocket is blocked", "InvalidStateError"); }
      close() {}
    }
    window.WebSocket = BlockedWebSocket;
  });
  const page = await blocked.newPage();
  page.setDefaultTimeout(15000);
  const streams = [];
  page.on("request", (request) => { if (new URL(request.url()).pathname === "/events") streams.push(request.url()); });
  await page.goto(`${base}/?api=${encodeURIComponent(api)}&token=${encodeURIComponent(customerToken)}`);
  await page.waitForSelector('#connection[data-state="open"][data-transport="sse"]');
  const attempts = await page.evaluate(() => window.blockedSocketAttempts);
  const shown = await page.$eval("#connection", (element) => element.textContent);
  if (attempts < 2) throw new Error(`fell back after ${attempts} WebSocket attempt(s)`);
  if (!shown.includes("server-sent events")) throw new Error(`connection state says "${shown}"`);
  step(`WebSocket failed ${attempts} times; the page is "${shown}"`);

  const placed = await call("POST", "/orders", { items: [{ productId: "sse-tea", quantity: 2, unitPriceCents: 450 }] },
                            customerToken);
  const orderId = placed.orderId;
  await page.waitForSelector(`tr[data-order="${orderId}"]`);
  step(`order ${orderId} placed through the command API appeared live`);
  await call("PUT", `/orders/${orderId}/status`, { status: "confirmed" }, staffToken);
  await page.waitForSelector(`tr[data-order="${orderId}"][data-status="confirmed"]`);
  step("confirmed through the command API; the list updated live over SSE");

  // Tracking the order: its stream resumes from the version the page has (0: the whole history).
  await page.fill("#track-form input[name=orderId]", orderId);
  await page.click('#track-form button[type="submit"]');
  await page.waitForFunction(() => document.getElementById("track-status")?.textContent === "confirmed");
  const trackStream = streams.find((url) => url.includes(`orderId=${orderId}`));
  if (!trackStream || !new URL(trackStream).searchParams.get("lastEventId")?.startsWith(`${orderId}:`)) {
    throw new Error(`the tracking stream does not resume with lastEventId: ${trackStream}`);
  }
  await call("PUT", `/orders/${orderId}/status`, { status: "processing" }, staffToken);
  await page.waitForFunction(() => document.getElementById("track-status")?.textContent === "processing");
  const steps = await page.$$eval(".timeline li", (items) => items.length);
  if (steps !== 3) throw new Error(`timeline has ${steps} steps, expected 3`);
  step("tracked order's timeline followed pending → confirmed → processing over SSE");
  await page.screenshot({ path: `${artifacts}/sse-fallback-customer.png`, fullPage: true });
  if (await page.evaluate(() => window.blockedSocketAttempts) !== attempts) {
    throw new Error("the page kept trying the WebSocket after falling back");
  }

  // Where WebSockets work, the page stays on them.
  const open = await browser.newContext();
  const normal = await open.newPage();
  normal.setDefaultTimeout(15000);
  await normal.goto(`${base}/?api=${encodeURIComponent(api)}&token=${encodeURIComponent(customerToken)}`);
  await normal.waitForSelector('#connection[data-state="open"][data-transport="websocket"]');
  step("an unblocked page is live over the WebSocket");
} finally {
  await browser.close();
}
