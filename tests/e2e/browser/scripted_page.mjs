// The page in headless Chromium without the services, for the scripted browser
// tests (page_views.mjs, page_payments.mjs): the page files are served as the
// notifier serves them (same CSP), the WebSocket, the command API and the query
// API are scripted by the test.
import { existsSync, readFileSync } from "node:fs";

export const base = "http://127.0.0.1:18082";
export const api = "http://127.0.0.1:18080";
export const queryApi = "http://127.0.0.1:18081";
// The policy src/web/page_policy.cpp serves, for this host, with the two API origins configured.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  `connect-src 'self' ws://127.0.0.1:18082 ${api} ${queryApi}; frame-ancestors 'none'; base-uri 'none'; ` +
  "form-action 'self'; object-src 'none'";

// Chromium through playwright-core, or exit 77 (skipped) without them unless ORDERS_TEST_REQUIRE_INFRA is set.
export async function launchBrowser(name) {
  const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
  let chromium;
  try {
    ({ chromium } = await import("playwright-core"));
    if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing`);
  } catch (error) {
    console.log(`${name}: no browser (${error.message}); infra/lib/common.sh installs it`);
    process.exit(process.env.ORDERS_TEST_REQUIRE_INFRA ? 1 : 77);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"],
  });
}

export const fail = (text) => { throw new Error(text); };
// An unsigned token: the page only reads its payload (the services verify it).
export const tokenFor = (sub, role, validFor = 3600) =>
  `e30.${Buffer.from(JSON.stringify({ sub, role, exp: Math.floor(Date.now() / 1000) + validFor })).toString("base64url")}.sig`;
export const uuid = (n) =>
  `${String(n).repeat(8)}-${String(n).repeat(4)}-4${String(n).repeat(3)}-8${String(n).repeat(3)}-${String(n).repeat(12)}`;
export const rowOf = (page, table, n) => page.locator(`#${table} tr[data-order="${uuid(n)}"]`);
export const rowIds = (page, table) => page.$$eval(`#${table} tr`, (rows) => rows.map((row) => row.dataset.order));
export async function until(what, predicate, timeoutMs = 5000) {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 25))) {
    if (await predicate()) return;
  }
  fail(`timed out waiting until ${what}`);
}

// A scripted HTTP API on `origin`: `answer(call) -> {status, body}` (or null: the connection fails);
// every call in `calls`.
async function scriptApi(page, origin, pageOrigin) {
  const calls = [];
  const scripted = { calls, answer: () => ({ status: 200, body: {} }) };
  await page.route(`${origin}/**`, async (route) => {
    const request = route.request();
    if (request.method() === "OPTIONS") {
      return route.fulfill({ status: 204, headers: { "Access-Control-Allow-Origin": pageOrigin,
        "Access-Control-Allow-Headers": "authorization, content-type, if-match, idempotency-key",
        "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE" } });
    }
    const url = new URL(request.url());
    const call = { method: request.method(), path: url.pathname, search: url.search,
                   body: request.postData() ? JSON.parse(request.postData()) : undefined,
                   authorization: request.headers().authorization, ifMatch: request.headers()["if-match"], at: Date.now() };
    calls.push(call);
    const answer = scripted.answer(call);
    if (!answer) return route.abort("connectionrefused");
    const { status, body } = answer;
    await route.fulfill({ status, contentType: status < 300 ? "application/json" : "application/problem+json",
                          body: JSON.stringify(body), headers: { "Access-Control-Allow-Origin": pageOrigin } });
  });
  return scripted;
}

// A page in its own context: `server.sockets`, every client message in `server.received`,
// `server.onSubscribe(message, socket)`; the command API as `api`, the query API as `query`.
// `workflow`: what the notifier's WORKFLOW setting tells the page (on|off); `stock`: the query
// API's first answers (404 unless given); `queryOrigin`: the page's ?query=. Every URL the page
// requested is in `requested`.
export async function openPage(browser, webDir, token,
                               { query = "", connected = '#connection[data-state="open"]', workflow = "on",
                                 stock = () => ({ status: 404, body: { title: "Not Found" } }),
                                 queryOrigin = queryApi } = {}) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(5000);
  const problems = [];
  const requested = [];   // every URL the page asked for
  page.on("request", (request) => requested.push(request.url()));
  page.on("pageerror", (error) => problems.push(error.message));
  page.on("console", (message) => { if (/Content Security Policy/i.test(message.text())) problems.push(message.text()); });
  await page.route(`${base}/**`, (route) => {
    const path = new URL(route.request().url()).pathname;
    const [file, type] = path === "/app.js" ? ["app.js", "text/javascript"]
                       : path === "/app.css" ? ["app.css", "text/css"] : ["index.html", "text/html"];
    const text = readFileSync(`${webDir}/${file}`, "utf8").replace("{{API_ORIGINS}}", `${api},${queryApi}`)
      .replace("{{WORKFLOW}}", workflow);
    route.fulfill({ body: text, headers: { "Content-Type": `${type}; charset=utf-8`, "Content-Security-Policy": csp } });
  });
  const server = { sockets: [], received: [], onSubscribe: () => {} };
  await page.routeWebSocket(/\/ws(\?|$)/, (socket) => {
    server.sockets.push(socket);
    socket.onMessage((text) => {
      const message = JSON.parse(text);
      server.received.push(message);
      if (message.type === "subscribe") server.onSubscribe(message, socket);
    });
  });
  const commandApi = await scriptApi(page, api, base);
  const queryScript = await scriptApi(page, queryApi, base);
  queryScript.answer = stock;   // until the test says otherwise: the query API has no stock levels
  const tokenQuery = token ? `&token=${encodeURIComponent(token)}` : "";
  await page.goto(`${base}/?api=${encodeURIComponent(api)}&query=${encodeURIComponent(queryOrigin)}${query}${tokenQuery}`);
  // A liveness bound, not a speed target: a fresh Chromium context may take long on a loaded machine.
  await page.waitForSelector(connected, { timeout: 15000 });
  return { page, server, api: commandApi, query: queryScript, problems, requested,
           send: (message) => server.sockets.at(-1).send(JSON.stringify(message)) };
}
