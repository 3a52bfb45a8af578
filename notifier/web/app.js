"use strict";
// Where the command API is: the same host on port 8080, or ?api=<origin>. The
// staff's token goes with every call, so ?api= may only name this page's host
// on one of the three service ports, or an origin the notifier was configured
// to allow (PAGE_API_ORIGINS, served in the orders-api-origins meta tag). The
// Content-Security-Policy's connect-src enforces the same list.
const params = new URLSearchParams(location.search);
const SERVICE_PORTS = ["8080", "8081", "8082"];
const CONFIGURED_API_ORIGINS = (document.querySelector('meta[name="orders-api-origins"]')?.content || "")
  .split(",").map((origin) => origin.trim()).filter(Boolean);
function allowedApiOrigin(text) {
  let url;
  try { url = new URL(text); } catch { return null; }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.username || url.password) return null;
  if (CONFIGURED_API_ORIGINS.includes(url.origin)) return url.origin;
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  return url.hostname === location.hostname && SERVICE_PORTS.includes(port) ? url.origin : null;
}
const API = params.has("api") ? allowedApiOrigin(params.get("api"))
                              : `${location.protocol}//${location.hostname}:8080`;
if (!API) {
  const refused = document.getElementById("api-refused");
  refused.textContent = "The api parameter names a host this page may not send your token to; " +
    "placing and changing orders is off. Use this host's service ports or one the notifier allows.";
  refused.hidden = false;
}
const FLOW = ["pending", "confirmed", "processing", "shipped", "out_for_delivery", "delivered"];
const CANCELLABLE = new Set(["pending", "confirmed", "processing"]);
const $ = (id) => document.getElementById(id);
const label = (status) => status.replaceAll("_", " ");
const money = (cents, currency) => `${(cents / 100).toFixed(2)} ${currency || ""}`;
const time = (iso) => iso ? new Date(iso).toLocaleTimeString() : "";

// ---- access token (only needed when the services run with JWT_SECRET) ----
// Given as ?token=... once (then removed from the address bar) or typed in;
// kept for this tab only. Sent as ?access_token= on the WebSocket (browsers
// cannot set its headers) and as "Authorization: Bearer" to the command API.
if (params.get("token")) {
  sessionStorage.setItem("orders.token", params.get("token"));
  params.delete("token");
  history.replaceState(null, "", `${location.pathname}${params.size ? "?" + params : ""}`);
}
const token = () => sessionStorage.getItem("orders.token") || "";
const authHeaders = () => token() ? { Authorization: `Bearer ${token()}` } : {};
$("token").value = token();
$("token").addEventListener("change", () => {
  sessionStorage.setItem("orders.token", $("token").value.trim());
  if (socket) socket.close();   // reconnect with the new token
});

// ---- connection with automatic reconnect and resume ----
let socket = null, retryMs = 250, view = "track";
const tracked = { id: null, version: 0, timeline: [] };   // the customer view
const board = new Map();                                  // orderId -> order, for the staff board

function setConnection(state, text) { $("connection").dataset.state = state; $("connection").textContent = text; }

function connect() {
  setConnection("connecting", "connecting…");
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const query = token() ? `?access_token=${encodeURIComponent(token())}` : "";
  socket = new WebSocket(`${scheme}://${location.host}/ws${query}`);
  socket.onopen = () => { retryMs = 250; setConnection("open", "live"); resubscribe(); };
  socket.onmessage = (event) => handle(JSON.parse(event.data));
  socket.onclose = (event) => {
    setConnection("closed", `offline (${event.code}) — reconnecting`);
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 5000);
  };
}

function send(message) { if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message)); }

function resubscribe() {
  if (view === "board") send({ type: "subscribe", all: true });
  // Resume where we were: the server replays every version after tracked.version
  // (from 0 the whole history, which draws the timeline).
  if (tracked.id) send({ type: "subscribe", orderId: tracked.id, sinceVersion: tracked.version });
}

function handle(message) {
  if (message.type === "snapshot" && message.order) return onOrderSnapshot(message.order, message.recovered !== false);
  if (message.type === "snapshot" && message.orders) { message.orders.forEach((o) => board.set(o.orderId, o)); return renderBoard(); }
  if (message.type === "update") return onUpdate(message);
  if (message.type === "error") {
    if (message.code === "not_found") $("track-result").innerHTML = `<p class="error">No order with this id.</p>`;
    else console.warn("notifier error", message);
  }
}

// ---- customer view ----
function onOrderSnapshot(order, recovered) {
  if (order.orderId !== tracked.id) { board.set(order.orderId, order); return renderBoard(); }
  if (!recovered || tracked.version === 0) {
    tracked.timeline = [{ version: order.version, status: order.status, at: order.updatedAt }];
  }
  tracked.version = order.version;
  tracked.order = order;
  renderTrack();
}

function onUpdate(update) {
  const known = board.get(update.orderId) || update.order;
  if (known) {
    board.set(update.orderId, { ...known, status: update.status, version: update.version, updatedAt: update.at });
    renderBoard(update.orderId);
  }
  if (update.orderId === tracked.id && update.version > tracked.version) {
    tracked.version = update.version;
    if (update.order) tracked.order = update.order;
    tracked.timeline.push({ version: update.version, status: update.status, at: update.at, reason: update.reason });
    if (tracked.order) tracked.order = { ...tracked.order, status: update.status, version: update.version };
    renderTrack();
  }
}

function renderTrack() {
  const order = tracked.order;
  const items = tracked.timeline.map((step) =>
    `<li><span class="muted">${time(step.at)} · v${step.version}</span>` +
    `<span><span class="status">${label(step.status)}</span>${step.reason ? ` — <span class="muted">${escape(step.reason)}</span>` : ""}</span></li>`).join("");
  $("track-result").innerHTML = order
    ? `<p>Order <code>${order.orderId}</code> for <b>${escape(order.customerId)}</b>, ${money(order.totalCents, order.currency)}:
         now <span class="status" id="track-status">${label(order.status)}</span></p><ul class="timeline">${items}</ul>`
    : "";
}

$("track-form").addEventListener("submit", (event) => {
  event.preventDefault();
  if (tracked.id) send({ type: "unsubscribe", orderId: tracked.id });
  Object.assign(tracked, { id: event.target.orderId.value.trim(), version: 0, timeline: [], order: null });
  $("track-result").innerHTML = `<p class="muted">Waiting for the order…</p>`;
  send({ type: "subscribe", orderId: tracked.id, sinceVersion: 0 });
});

// ---- staff board ----
function renderBoard(flashId) {
  const orders = [...board.values()].sort((a, b) => (b.createdAt || "").localeCompare(a.createdAt || ""));
  $("board-count").textContent = `(${orders.length})`;
  $("board").innerHTML = orders.map((o) => {
    const next = FLOW[FLOW.indexOf(o.status) + 1];
    return `<tr data-order="${o.orderId}" class="${o.orderId === flashId ? "flash" : ""}">
      <td class="id" title="${o.orderId}">${o.orderId.slice(0, 8)}…</td><td>${escape(o.customerId || "")}</td>
      <td>${o.totalCents !== undefined ? money(o.totalCents, o.currency) : ""}</td>
      <td><span class="pill ${o.status}">${label(o.status)}</span></td><td class="muted">${time(o.updatedAt)}</td>
      <td>${next ? `<button class="step" data-action="advance" data-to="${next}">→ ${label(next)}</button>` : ""}
          ${CANCELLABLE.has(o.status) ? `<button class="step cancel" data-action="cancel">cancel</button>` : ""}
          <button class="step" data-action="track">track</button></td></tr>`;
  }).join("");
}

$("board").addEventListener("click", async (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  const row = button.closest("tr"), id = row.dataset.order, order = board.get(id);
  if (button.dataset.action === "track") {
    showView("track");
    $("track-form").orderId.value = id;
    $("track-form").requestSubmit();
    return;
  }
  if (!API) return;
  button.disabled = true;
  const to = button.dataset.action === "cancel" ? "cancelled" : button.dataset.to;
  const response = await fetch(`${API}/orders/${id}/status`, {
    method: "PUT", headers: { "Content-Type": "application/json", "If-Match": `"${order.version}"`, ...authHeaders() },
    body: JSON.stringify(to === "cancelled" ? { status: to, reason: "cancelled by staff" } : { status: to }),
  }).catch(() => null);
  if (!response || !response.ok) {
    button.disabled = false;
    const problem = response ? await response.json().catch(() => ({})) : { detail: "command API unreachable" };
    alert(`Could not change the status: ${problem.detail || response.status}`);
  }
});

$("new-order").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!API) {
    $("new-order-result").textContent = "not sent: the api host is not allowed";
    return;
  }
  const form = event.target;
  const body = { customerId: form.customerId.value.trim(),
                 items: [{ productId: form.productId.value.trim(), quantity: Number(form.quantity.value),
                           unitPriceCents: Number(form.unitPriceCents.value) }] };
  const response = await fetch(`${API}/orders`, { method: "POST", body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", "Idempotency-Key": crypto.randomUUID(), ...authHeaders() } })
    .catch(() => null);
  const answer = response ? await response.json().catch(() => ({})) : { detail: "command API unreachable" };
  $("new-order-result").textContent = response && response.ok ? `placed ${answer.orderId}` : `failed: ${answer.detail}`;
  if (response && response.ok) $("new-order-result").dataset.orderId = answer.orderId;
});

// ---- views ----
function showView(name) {
  view = name;
  $("view-track").hidden = name !== "track";
  $("view-board").hidden = name !== "board";
  $("tab-track").setAttribute("aria-selected", name === "track");
  $("tab-board").setAttribute("aria-selected", name === "board");
  if (name === "board") send({ type: "subscribe", all: true });
}
$("tab-track").onclick = () => showView("track");
$("tab-board").onclick = () => showView("board");

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

if (params.get("view") === "board") showView("board");
if (params.get("order")) { $("track-form").orderId.value = params.get("order"); }
connect();
if (params.get("order")) setTimeout(() => $("track-form").requestSubmit(), 300);
