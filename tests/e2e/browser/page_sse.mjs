// The page's server-sent-events fallback in headless Chromium, without the
// services: WebSockets fail to open (as behind a proxy that drops upgrades) and
// a small scripted server here serves the page files and GET /events, keeping
// streams open or ending them as each step needs. Checks what the end-to-end
// test cannot force: the switch after two failed opens and no WebSocket attempt
// after it, the header naming the transport, a tracked order resumed with
// lastEventId and then with EventSource's own Last-Event-ID (no step drawn
// twice), an `error` event ending that one stream without a reconnect loop, and
// a refused stream opened again with backoff. Exits non-zero on any failure; 77
// (skipped) without Chromium or playwright-core unless ORDERS_TEST_REQUIRE_INFRA
// is set.
//
//   node page_sse.mjs <notifier/web folder> [screenshot-dir]
import { readFileSync } from "node:fs";
import { createServer } from "node:http";

import { fail, launchBrowser, tokenFor, until, uuid } from "./scripted_page.mjs";

const [webDir, screenshots] = process.argv.slice(2);
const step = (text) => console.log(`sse: ${text}`);
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";
const at = () => new Date().toISOString();
const order = (n, status, version) => ({
  orderId: uuid(n), customerId: "alice", items: [{ productId: "tea", quantity: 2, unitPriceCents: 450 }],
  currency: "USD", totalCents: 900, status, courierId: null, version, createdAt: "2026-12-04T10:00:00.000Z",
  updatedAt: at(),
});
const frame = (event, message, id) => `${id ? `id: ${id}\n` : ""}event: ${event}\ndata: ${JSON.stringify(message)}\n\n`;
const update = (n, version, status, previousStatus) => frame("update",
  { type: "update", orderId: uuid(n), version, event: "order.status_changed", status, previousStatus, at: at() },
  `${uuid(n)}:${version}`);

// The scripted notifier: every /events request is in `streams` ({params, lastEventId, response});
// `answer(call)` writes to call.response (a stream stays open until the test ends it) or refuses.
const streams = [];
let answer = (call) => call.response.writeHead(400).end("{}");
const server = createServer((request, response) => {
  const url = new URL(request.url, "http://127.0.0.1");
  if (url.pathname === "/events") {
    const call = { params: url.searchParams, lastEventId: request.headers["last-event-id"], response };
    streams.push(call);
    return answer(call);
  }
  const [file, type] = url.pathname === "/app.js" ? ["app.js", "text/javascript"]
                     : url.pathname === "/app.css" ? ["app.css", "text/css"] : ["index.html", "text/html"];
  const text = readFileSync(`${webDir}/${file}`, "utf8").replace("{{API_ORIGINS}}", "").replace("{{WORKFLOW}}", "on");
  response.writeHead(200, { "Content-Type": `${type}; charset=utf-8`, "Content-Security-Policy": csp }).end(text);
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${server.address().port}`;
const open = (call, body = "") => {
  call.response.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-store" });
  call.response.write(body);
};
const streamsOf = (name, value) => streams.filter((call) => call.params.get(name) === value);

const browser = await launchBrowser("sse");
try {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  await context.addInitScript(() => {
    window.socketAttempts = 0;
    class BlockedWebSocket extends EventTarget {
      static CONNECTING = 0;
      static OPEN = 1;
      static CLOSING = 2;
      static CLOSED = 3;
      constructor(url) {
        super();
        this.url = url;
        this.readyState = 0;
        window.socketAttempts += 1;
        setTimeout(() => {
          this.readyState = 3;
          this.onerror?.(new Event("error"));
          this.onclose?.(new CloseEvent("close", { code: 1006 }));
        }, 10);
      }
      send() { throw new DOMException("blocked", "InvalidStateError"); }
      close() {}
    }
    window.WebSocket = BlockedWebSocket;
  });
  const page = await context.newPage();
  page.setDefaultTimeout(5000);
  const problems = [];
  page.on("pageerror", (error) => problems.push(error.message));

  // ---- the switch ----
  const listSnapshot = frame("snapshot",
    { type: "snapshot", customerId: "alice", page: 0, last: true, orders: [order(1, "confirmed", 2)] });
  const tracking = [];   // per request of a tracked order's stream: what to do with it
  answer = (call) => {
    if (call.params.get("customerId")) return open(call, "retry: 100\n\n" + listSnapshot);
    if (call.params.get("orderId")) return (tracking.shift() || ((c) => open(c, "retry: 100\n\n")))(call);
    return call.response.writeHead(400).end("{}");
  };
  await page.goto(`${base}/?token=${encodeURIComponent(tokenFor("alice", "customer"))}`);
  await page.waitForSelector('#connection[data-state="open"][data-transport="sse"]', { timeout: 15000 });
  const attempts = await page.evaluate(() => window.socketAttempts);
  if (attempts !== 2) fail(`switched after ${attempts} WebSocket attempts, expected 2`);
  const shown = await page.textContent("#connection");
  if (shown !== "live · server-sent events") fail(`the header says "${shown}"`);
  await page.locator(`#my-orders tr[data-order="${uuid(1)}"]`).waitFor();
  const list = streamsOf("customerId", "alice");
  if (list.length !== 1 || !list[0].params.get("access_token")) fail(`list streams: ${list.length}, token carried?`);
  step(`two failed WebSocket opens, then /events?customerId=alice with the token; "${shown}"; the snapshot is listed`);

  // ---- track: resume with lastEventId, then with Last-Event-ID ----
  tracking.push((call) => {
    open(call, "retry: 100\n\n" + frame("snapshot", { type: "snapshot", order: order(2, "pending", 1) }) +
               update(2, 2, "confirmed", "pending"));
    call.response.end();   // a drop: EventSource reconnects by itself
  });
  tracking.push((call) => open(call, update(2, 3, "processing", "confirmed")));
  await page.fill("#track-form input[name=orderId]", uuid(2));
  await page.click('#track-form button[type="submit"]');
  await until("the tracked order shows processing",
              async () => (await page.textContent("#track-status").catch(() => "")) === "processing");
  const tracks = streamsOf("orderId", uuid(2));
  if (tracks[0].params.get("lastEventId") !== `${uuid(2)}:0`) fail(`track stream: lastEventId ${tracks[0].params.get("lastEventId")}`);
  if (tracks[1]?.lastEventId !== `${uuid(2)}:2`) fail(`the reconnect sent Last-Event-ID ${tracks[1]?.lastEventId}`);
  const steps = await page.$$eval(".timeline li", (items) => items.length);
  if (steps !== 3) fail(`timeline has ${steps} steps, expected 3 (pending, confirmed, processing)`);
  step("tracking opened with lastEventId=<id>:0; after a drop EventSource resumed with Last-Event-ID <id>:2; 3 steps");

  // ---- an error event ends that stream only ----
  tracking.push((call) => {
    open(call, "retry: 100\n\n" + frame("error", { type: "error", code: "not_found", message: "No order with this orderId." }));
    call.response.end();
  });
  await page.fill("#track-form input[name=orderId]", uuid(3));
  await page.click('#track-form button[type="submit"]');
  await page.waitForSelector("#track-result .error");
  await new Promise((resolve) => setTimeout(resolve, 600));
  if (streamsOf("orderId", uuid(3)).length !== 1) fail(`the stream that ended with not_found was opened again`);
  if (await page.getAttribute("#connection", "data-state") !== "open") fail("an error event took the page offline");
  step("an error event (not_found) is shown and its stream is not reopened; the page stays live");

  // ---- a refused stream is opened again, with backoff ----
  let refusals = 0;
  const plain = answer;
  answer = (call) => {
    if (call.params.get("customerId") && refusals < 2) {
      refusals += 1;
      return call.response.writeHead(503, { "Content-Type": "application/problem+json" }).end("{}");
    }
    return plain(call);
  };
  const before = streamsOf("customerId", "alice").length;
  streamsOf("customerId", "alice").at(-1).response.end();   // the list stream drops; its reconnects meet 503s
  await until("the list stream is opened again after two refusals",
              () => refusals === 2 && streamsOf("customerId", "alice").length >= before + 3, 10000);
  await page.waitForSelector('#connection[data-state="open"]');
  if (await page.evaluate(() => window.socketAttempts) !== attempts) fail("the page tried the WebSocket again");
  if (problems.length) fail(`page errors: ${problems.join("; ")}`);
  if (screenshots) await page.screenshot({ path: `${screenshots}/page-sse-fallback.png`, fullPage: true });
  step("a refused stream (503) is opened again with backoff; no WebSocket attempt after the switch");
} finally {
  await browser.close();
  server.closeAllConnections();
  server.close();
}
