"use strict";
// Where the command API is: the same host on port 8080, or ?api=<origin>. The
// token goes with every call, so ?api= may only name this page's host on one of
// the three service ports, or an origin the notifier was configured to allow
// (PAGE_API_ORIGINS, served in the orders-api-origins meta tag). The
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
// The query API (stock levels on the staff board): port 8081 of this host, or
// ?query=<origin> under the same rule as ?api=.
const QUERY = params.has("query") ? allowedApiOrigin(params.get("query"))
                                  : `${location.protocol}//${location.hostname}:8081`;
// Whether the command service runs the fulfilment workflow (the notifier's
// WORKFLOW setting): then a pending order waits for stock and payment and the
// workflow confirms it, so nobody confirms it by hand.
let workflowOn = document.querySelector('meta[name="orders-workflow"]')?.content !== "off";
if (!API) {
  const refused = document.getElementById("api-refused");
  refused.textContent = "The api parameter names a host this page may not send your token to; " +
    "placing and changing orders is off. Use this host's service ports or one the notifier allows.";
  refused.hidden = false;
}
const FLOW = ["pending", "confirmed", "processing", "shipped", "out_for_delivery", "delivered"];
const CANCELLABLE = new Set(["pending", "confirmed", "processing"]);
const OPEN_STATUSES = new Set(["confirmed", "processing"]);
const $ = (id) => document.getElementById(id);
const label = (status) => (status || "").replaceAll("_", " ");
const money = (cents, currency) => cents === undefined ? "" : `${(cents / 100).toFixed(2)} ${currency || ""}`;
const time = (iso) => iso ? new Date(iso).toLocaleTimeString() : "";
const shortId = (id) => `${id.slice(0, 8)}…`;
const itemsText = (order) => (order.items || []).map((item) => `${item.quantity}× ${item.productId}`).join(", ");
// Where an order's money stands, and why an order was cancelled, in plain words.
const PAYMENT_WORDS = { pending: "awaiting payment", authorized: "payment authorized", declined: "payment declined",
                        refunded: "refunded", not_required: "no payment needed" };
const paymentText = (payment) => payment ? PAYMENT_WORDS[payment.status] || label(payment.status) : "";
const REASON_WORDS = { out_of_stock: "out of stock", payment_declined: "the payment was declined",
                       payment_timeout: "the payment did not arrive in time" };
const reasonText = (reason) => REASON_WORDS[reason] || reason;

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
  location.reload();   // another token may be another role: start over with its view
});

// ---- who you are ----
// The token's payload is read here only to choose the view and to say who is
// signed in; it is not verified. The services verify it on every call and
// decide what this session may see and do.
function claimsOf(jwt) {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(part.padEnd(Math.ceil(part.length / 4) * 4, "=")), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === "object" ? claims : {};
  } catch { return {}; }
}
const claims = claimsOf(token());
const me = typeof claims.sub === "string" ? claims.sub : "";
// No token (auth off) or staff/service: the staff board. Customers and couriers get their own view.
const role = claims.role === "customer" || claims.role === "courier" ? claims.role : "staff";
$("whoami").textContent = token()
  ? `${me || "?"} · ${claims.role || "unknown role"}` +
    (claims.exp && claims.exp * 1000 < Date.now() ? " · token expired" : "")
  : "no token: staff view (works with auth off only)";

// ---- notices (command results the user should read) ----
let noticeTimer = null;
function notice(text, kind = "error") {
  $("notice").textContent = text;
  $("notice").dataset.kind = kind;
  $("notice").hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { $("notice").hidden = true; }, 8000);
}

// ---- the command API ----
// One call with the bearer token; the answer's JSON, or a problem.
async function command(method, path, body, headers = {}) {
  if (!API) { notice("Not sent: the api host is not allowed."); return { ok: false, body: {} }; }
  const response = await fetch(`${API}${path}`, {
    method, headers: { ...(body ? { "Content-Type": "application/json" } : {}), ...headers, ...authHeaders() },
    body: body ? JSON.stringify(body) : undefined,
  }).catch(() => null);
  if (!response) return { ok: false, status: 0, body: { detail: "command API unreachable" } };
  const answer = await response.json().catch(() => ({}));
  return { ok: response.ok, status: response.status, body: answer };
}
const problemText = (result) => result.body.detail || result.body.title || `HTTP ${result.status}`;

// ---- what this session knows ----
// One store of orders, whatever subscription told us about them, and per list
// the ids that belong to it. Updates merge into the store (never going back to
// an older version), then each list decides by its own rule whether the order
// is still in it.
const orders = new Map();   // orderId -> latest known order
const declinedByMe = new Set();
const lists = {
  board: { ids: new Set(), rule: () => true },
  customer: { ids: new Set(), rule: (o) => !o.customerId || o.customerId === me },
  open: { ids: new Set(), rule: (o) => OPEN_STATUSES.has(o.status) && !o.courierId && !declinedByMe.has(o.orderId) },
  assigned: { ids: new Set(), rule: (o) => o.courierId === me },
};
// The lists each role follows, and the subscription that feeds each.
const FEEDS = {
  staff: { board: { all: true } },
  customer: { customer: { customerId: me } },
  courier: { open: { openDeliveries: true }, assigned: { courierId: me } },
}[role];
const tracked = { id: null, version: 0, timeline: [], order: null };

function remember(order) {
  const known = orders.get(order.orderId);
  if (!known || !(known.version > order.version)) orders.set(order.orderId, { ...known, ...order });
  return orders.get(order.orderId);
}

// The order after an update. The update says the status after the event; what
// it says about the courier depends on the event (an unassignment names the
// courier who left, a decline the courier who declined).
function applyUpdate(update) {
  const known = orders.get(update.orderId);
  if (known && known.version >= update.version) return known;
  const next = update.order ? { ...known, ...update.order }
                            : { ...(known || { orderId: update.orderId }), status: update.status || known?.status };
  next.version = update.version;
  next.updatedAt = update.at;
  if (update.payment) next.payment = update.payment;
  if (update.event === "order.courier_unassigned") next.courierId = null;
  else if (update.event === "order.delivery_declined") { if (update.courierId === me) declinedByMe.add(update.orderId); }
  else if ("courierId" in update) next.courierId = update.courierId;
  orders.set(update.orderId, next);
  return next;
}

function place(order) {
  for (const name of Object.keys(FEEDS)) {
    if (lists[name].rule(order)) lists[name].ids.add(order.orderId);
    else lists[name].ids.delete(order.orderId);
  }
}

// ---- connection with automatic reconnect and resume ----
// The WebSocket first. When it cannot even open twice in a row (a proxy or
// network that blocks WebSockets), the page falls back to server-sent events:
// one EventSource on /events per subscription, fed the very same messages.
// EventSource reconnects by itself and sends Last-Event-ID, so an order being
// tracked resumes after the last version it showed.
let socket = null, retryMs = 250, view = null;
let transport = "websocket";      // "sse" once the WebSocket failed to open twice in a row
let failedSocketOpens = 0;
const streams = new Map();        // SSE: subscription key -> EventSource
let streamsRetry = null;          // SSE: the pending timer that opens refused or lost streams again
let boardShown = false;   // staff subscribe to every order only once they open the board
const TRANSPORT_NAMES = { websocket: "WebSocket", sse: "server-sent events" };
function setConnection(state, text) {
  $("connection").dataset.state = state;
  $("connection").dataset.transport = transport;
  $("connection").textContent = state === "open" ? `${text} · ${TRANSPORT_NAMES[transport]}` : text;
}

// The notifier closes a session when its token expires (and refuses an expired
// one); retrying with it would only be refused again, so the page says so and
// waits for a new token in the token field.
const tokenExpired = () => Boolean(claims.exp) && claims.exp * 1000 <= Date.now();

function connect() {
  if (tokenExpired()) return setConnection("expired", "token expired — enter a new one");
  if (transport === "sse") return resubscribe();
  setConnection("connecting", "connecting…");
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const query = token() ? `?access_token=${encodeURIComponent(token())}` : "";
  let opened = false;
  socket = new WebSocket(`${scheme}://${location.host}/ws${query}`);
  socket.onopen = () => {
    opened = true;
    failedSocketOpens = 0;
    retryMs = 250;
    setConnection("open", "live");
    resubscribe();
  };
  socket.onmessage = (event) => handle(JSON.parse(event.data));
  socket.onclose = (event) => {
    if (tokenExpired()) return setConnection("expired", "token expired — enter a new one");
    if (!opened && ++failedSocketOpens >= 2) {
      transport = "sse";
      socket = null;
      retryMs = 250;
      setConnection("connecting", "WebSocket unavailable — connecting with server-sent events…");
      return resubscribe();
    }
    setConnection("closed", `offline (${event.code}) — reconnecting`);
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 5000);
  };
}

function send(message) {
  if (transport === "sse") return sendOverStreams(message);
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

// SSE: a subscribe opens the stream for its selector (a resume by order id
// becomes lastEventId=<orderId>:<version>); an unsubscribe closes it.
const SELECTORS = ["orderId", "customerId", "courierId", "all", "openDeliveries", "topic"];
function sendOverStreams(message) {
  const selector = SELECTORS.filter((name) => name in message);
  const key = selector.map((name) => `${name}=${message[name]}`).join("&");
  const previous = streams.get(key);
  if (previous) { previous.close(); streams.delete(key); }
  if (message.type !== "subscribe") return;
  const query = new URLSearchParams();
  for (const name of selector) query.set(name, String(message[name]));
  if (message.orderId && Number.isInteger(message.sinceVersion)) {
    query.set("lastEventId", `${message.orderId}:${message.sinceVersion}`);
  }
  if (token()) query.set("access_token", token());
  const source = new EventSource(`/events?${query}`);
  streams.set(key, source);
  const current = () => streams.get(key) === source;
  source.onopen = () => { if (current()) { retryMs = 250; setConnection("open", "live"); } };
  for (const type of ["snapshot", "update", "message"]) {
    source.addEventListener(type, (event) => { if (current()) handle(JSON.parse(event.data)); });
  }
  source.addEventListener("error", (event) => {
    if (!current()) return;
    if (event.data) {
      // The stream's own error event ends this subscription (as on the WebSocket, nothing more comes).
      source.close();
      streams.delete(key);
      if (tokenExpired()) return setConnection("expired", "token expired — enter a new one");
      return handle(JSON.parse(event.data));
    }
    if (source.readyState !== EventSource.CLOSED) return setConnection("connecting", "reconnecting…");
    // Refused (401, 503, …) or the notifier is gone: EventSource gives up, so the page retries.
    streams.delete(key);
    if (tokenExpired()) return setConnection("expired", "token expired — enter a new one");
    setConnection("closed", "offline — reconnecting");
    if (!streamsRetry) {
      streamsRetry = setTimeout(() => { streamsRetry = null; resubscribe(); }, retryMs);
      retryMs = Math.min(retryMs * 2, 5000);
    }
  });
}

function resubscribe() {
  // List subscriptions answer with a fresh snapshot, which replaces the list.
  for (const [name, selector] of Object.entries(FEEDS)) {
    if (name !== "board" || boardShown) send({ type: "subscribe", ...selector });
  }
  // Resume where we were: the server replays every version after tracked.version
  // (from 0 the whole history, which draws the timeline).
  if (tracked.id) send({ type: "subscribe", orderId: tracked.id, sinceVersion: tracked.version });
}

// Which list a snapshot page is for, by the selector it echoes.
function snapshotList(message) {
  if (message.openDeliveries) return "open";
  if (message.courierId !== undefined) return "assigned";
  if (message.customerId !== undefined) return "customer";
  if (message.all) return "board";
  return null;
}

function onSnapshotPage(message) {
  const name = snapshotList(message);
  const list = name && FEEDS[name] ? lists[name] : null;
  if (list && !message.page) list.ids.clear();   // page 0 starts the list afresh
  for (const order of message.orders) {
    const known = remember(order);
    if (list) list.ids.add(known.orderId);
    else place(known);   // a selector we cannot tell apart: sort by the lists' rules
  }
  render();
}

function handle(message) {
  if (message.type === "snapshot" && message.order) return onOrderSnapshot(message.order, message.recovered !== false);
  if (message.type === "snapshot" && message.orders) return onSnapshotPage(message);
  if (message.type === "update") return onUpdate(message);
  if (message.type === "error") {
    if (message.code === "not_found") $("track-result").innerHTML = `<p class="error">No order with this id.</p>`;
    else console.warn("notifier error", message);
  }
}

function onUpdate(update) {
  const order = applyUpdate(update);
  if (order.version === update.version) place(order);
  // The notifier says whether the order is in this session's open list after the
  // event (it knows this courier's declines); that wins over the page's own rule.
  if (FEEDS.open && typeof update.open === "boolean") {
    if (update.open) lists.open.ids.add(update.orderId);
    else lists.open.ids.delete(update.orderId);
  }
  if (update.orderId === tracked.id && update.version > tracked.version) {
    tracked.version = update.version;
    tracked.order = { ...order };
    tracked.timeline.push({ version: update.version, event: update.event, status: update.status, at: update.at,
                            reason: update.reason, courierId: update.courierId, payment: update.payment });
  }
  render(update.orderId);
  if (FEEDS.board) stock.soon();
  const listed = (lists.open.ids.has(order.orderId) || lists.assigned.ids.has(order.orderId));
  if (role === "courier" && listed && order.items === undefined) fillIn(order.orderId);
}

// An order that became open without the update carrying it whole: ask the
// command API for it once (couriers may read open deliveries).
const filling = new Set();
async function fillIn(id) {
  if (filling.has(id)) return;
  filling.add(id);
  const result = await command("GET", `/orders/${id}`);
  if (result.ok && result.body.orderId === id) {
    const known = orders.get(id);
    orders.set(id, { ...result.body, ...known, items: result.body.items, totalCents: result.body.totalCents,
                     currency: result.body.currency, customerId: result.body.customerId, createdAt: result.body.createdAt });
    render();
  }
}

// ---- one order's timeline (track view) ----
function onOrderSnapshot(order, recovered) {
  const known = remember(order);
  place(known);
  if (order.orderId !== tracked.id) return render();
  if (!recovered || tracked.version === 0) {
    tracked.timeline = [{ version: order.version, status: order.status, at: order.updatedAt, courierId: order.courierId }];
  }
  tracked.version = order.version;
  tracked.order = order;
  render();
}

function stepText(step) {
  switch (step.event) {
    case "order.placed": return "placed";
    case "order.courier_assigned": return `courier ${step.courierId || ""} assigned`;
    case "order.courier_unassigned": return "courier released the delivery";
    case "order.delivery_declined": return "a courier declined";
    case "order.payment_authorized": return "payment authorized";
    case "order.payment_declined": return "payment declined";
    case "order.payment_refunded": return "payment refunded";
    default: return label(step.status);
  }
}

// What follows a step's name: why (a cancellation's reason in plain words), the
// amount of a payment event, or the status a courier event left the order in.
function stepDetail(step) {
  if (step.event?.startsWith("order.payment_") && step.payment) {
    return `<span class="muted">${escape(money(step.payment.amountCents, tracked.order?.currency))}</span>` +
      (step.reason ? ` — <span class="muted reason">${escape(step.reason)}</span>` : "");
  }
  const status = step.event && step.event !== "order.status_changed" && step.event !== "order.placed"
    ? ` <span class="muted">(${escape(label(step.status))})</span>` : "";
  return status + (step.reason ? ` — <span class="muted reason">${escape(reasonText(step.reason))}</span>` : "");
}

function renderTrack() {
  const order = tracked.order;
  const items = tracked.timeline.map((step) =>
    `<li data-event="${escape(step.event || "")}"><span class="muted">${time(step.at)} · v${step.version}</span>` +
    `<span><span class="status">${escape(stepText(step))}</span> ${stepDetail(step)}</span></li>`).join("");
  $("track-result").innerHTML = order
    ? `<p>Order <code>${order.orderId}</code>${order.customerId ? ` for <b>${escape(order.customerId)}</b>` : ""}` +
      `${order.totalCents !== undefined ? `, ${money(order.totalCents, order.currency)}` : ""}:
         now <span class="status" id="track-status">${label(order.status)}</span>,
         ${paymentPill(order.payment, "track-payment")},
         courier <b id="track-courier">${escape(order.courierId || "none yet")}</b></p><ul class="timeline">${items}</ul>`
    : "";
}

$("track-form").addEventListener("submit", (event) => {
  event.preventDefault();
  track(event.target.orderId.value.trim());
});

function track(id) {
  if (tracked.id) send({ type: "unsubscribe", orderId: tracked.id });
  Object.assign(tracked, { id, version: 0, timeline: [], order: null });
  $("track-form").orderId.value = id;
  $("track-result").innerHTML = `<p class="muted">Waiting for the order…</p>`;
  send({ type: "subscribe", orderId: id, sinceVersion: 0 });
}

// ---- rendering ----
const sorted = (list, oldestFirst) => [...list.ids].map((id) => orders.get(id)).filter(Boolean).sort((a, b) => {
  const order = (a.createdAt || a.updatedAt || "").localeCompare(b.createdAt || b.updatedAt || "");
  return oldestFirst ? order : -order;
});
const pill = (status) => `<span class="pill ${escape(status || "")}">${escape(label(status))}</span>`;
const paymentPill = (payment, id = "") => payment
  ? `<span class="pill payment pay-${escape(payment.status)}"${id ? ` id="${id}"` : ""} data-payment="${escape(payment.status)}">` +
    `${escape(paymentText(payment))}</span>`
  : `<span class="muted"${id ? ` id="${id}"` : ""}>—</span>`;
const button = (action, text, extra = "") => `<button class="step ${extra}" data-action="${action}">${text}</button>`;
const row = (order, flashId, cells) =>
  `<tr data-order="${order.orderId}" data-status="${escape(order.status || "")}" class="${order.orderId === flashId ? "flash" : ""}">` +
  `<td class="id" title="${order.orderId}">${shortId(order.orderId)}</td>${cells.map((cell) => `<td>${cell}</td>`).join("")}</tr>`;

function renderTable(body, count, empty, rows) {
  $(body).innerHTML = rows.join("");
  if (count) $(count).textContent = `(${rows.length})`;
  if (empty) $(empty).hidden = rows.length > 0;
}

function render(flashId) {
  if (FEEDS.board) {
    renderTable("board", "board-count", null, sorted(lists.board, false).map((o) => {
      const next = FLOW[FLOW.indexOf(o.status) + 1];
      const open = !["delivered", "cancelled"].includes(o.status);
      // With the workflow on, a pending order is confirmed by its payment, not by a person.
      const awaitingPayment = workflowOn && o.status === "pending";
      return row(o, flashId, [escape(o.customerId || ""), money(o.totalCents, o.currency), pill(o.status),
        paymentPill(o.payment), `<span class="courier">${escape(o.courierId || "—")}</span>`,
        `<span class="muted">${time(o.updatedAt)}</span>`,
        (awaitingPayment ? `<span class="muted awaiting" title="The fulfilment workflow confirms it once its stock ` +
                           `is reserved and its payment authorized">confirmed on payment</span> `
                         : next ? button("advance", `→ ${label(next)}`) : "") +
        (CANCELLABLE.has(o.status) ? button("cancel", "cancel", "cancel") : "") +
        (open && !o.courierId ? button("assign", "assign courier") : "") +
        (open && o.courierId && o.status !== "delivered" ? button("unassign", "unassign", "cancel") : "") +
        button("track", "track")]);
    }));
  }
  if (FEEDS.customer) {
    renderTable("my-orders", "my-orders-count", "my-orders-empty", sorted(lists.customer, false).map((o) =>
      row(o, flashId, [escape(itemsText(o)), money(o.totalCents, o.currency), pill(o.status), paymentPill(o.payment),
        `<span class="courier">${escape(o.courierId || "—")}</span>`, `<span class="muted">${time(o.updatedAt)}</span>`,
        button("track", "timeline") + (CANCELLABLE.has(o.status) ? button("cancel", "cancel", "cancel") : "")])));
  }
  if (FEEDS.open) {
    renderTable("open-deliveries", "open-count", "open-empty", sorted(lists.open, true).map((o) =>
      row(o, flashId, [escape(itemsText(o)), money(o.totalCents, o.currency), pill(o.status),
        `<span class="muted">${time(o.updatedAt)}</span>`,
        button("accept", "Accept") + button("decline", "Decline", "cancel")])));
    renderTable("my-deliveries", "mine-count", "mine-empty", sorted(lists.assigned, false).map((o) =>
      row(o, flashId, [escape(o.customerId || ""), escape(itemsText(o)), pill(o.status),
        `<span class="muted">${time(o.updatedAt)}</span>`,
        (["confirmed", "processing", "shipped"].includes(o.status) ? button("picked-up", "Picked up") : "") +
        (o.status === "out_for_delivery" ? button("delivered", "Delivered") : "") +
        (["confirmed", "processing", "shipped"].includes(o.status) ? button("release", "Release", "cancel") : "")])));
  }
  if (tracked.id) renderTrack();
}

// ---- actions ----
// Each button names its action; the row names the order. Commands go to the
// command API; what they change comes back over the WebSocket like any update.
const ACTIONS = {
  advance: (order) => changeStatus(order, FLOW[FLOW.indexOf(order.status) + 1], undefined, true),
  cancel: (order) => changeStatus(order, "cancelled", `cancelled by ${role === "customer" ? "the customer" : "staff"}`,
                                  role !== "customer"),
  "picked-up": (order) => changeStatus(order, "out_for_delivery"),
  delivered: (order) => changeStatus(order, "delivered"),
  accept: async (order) => {
    const result = await command("PUT", `/orders/${order.orderId}/courier`, { courierId: me });
    if (!result.ok) notice(`Could not accept ${shortId(order.orderId)}: ${problemText(result)}`);
    else { remember(result.body); place(orders.get(order.orderId)); notice(`Accepted order ${shortId(order.orderId)}`, "ok"); }
  },
  decline: async (order) => {
    const result = await command("POST", `/orders/${order.orderId}/delivery-declines`, {});
    if (!result.ok) return notice(`Could not decline ${shortId(order.orderId)}: ${problemText(result)}`);
    declinedByMe.add(order.orderId);
    place(orders.get(order.orderId));
  },
  release: (order) => unassign(order),
  unassign: (order) => unassign(order),
  assign: async (order) => {
    const courierId = (prompt(`Courier id for order ${shortId(order.orderId)}`) || "").trim();
    if (!courierId) return;
    const result = await command("PUT", `/orders/${order.orderId}/courier`, { courierId });
    if (!result.ok) notice(`Could not assign ${courierId}: ${problemText(result)}`);
  },
  track: (order) => {
    if (FEEDS.board) showView("track");
    track(order.orderId);
  },
};

async function changeStatus(order, status, reason, ifMatch = false) {
  // Staff act on what they see, so the board's changes carry the version
  // they saw; a stale board gets 412 rather than overriding someone else.
  const headers = ifMatch ? { "If-Match": `"${order.version}"` } : {};
  const result = await command("PUT", `/orders/${order.orderId}/status`, reason ? { status, reason } : { status }, headers);
  if (result.ok) return;
  if (result.status === 409 && String(result.body.type || "").endsWith("awaiting-payment")) {
    // The workflow runs although this page was not told so: it confirms pending orders itself.
    workflowOn = true;
    return notice(`Order ${shortId(order.orderId)} is awaiting payment; it is confirmed once its payment is ` +
                  `authorized. (${problemText(result)})`);
  }
  notice(`Could not move ${shortId(order.orderId)} to ${label(status)}: ${problemText(result)}`);
}

async function unassign(order) {
  const result = await command("DELETE", `/orders/${order.orderId}/courier`);
  if (!result.ok) notice(`Could not release ${shortId(order.orderId)}: ${problemText(result)}`);
}

for (const body of ["board", "my-orders", "open-deliveries", "my-deliveries"]) {
  $(body).addEventListener("click", async (event) => {
    const target = event.target.closest("button[data-action]");
    if (!target) return;
    const order = orders.get(target.closest("tr").dataset.order);
    const action = ACTIONS[target.dataset.action];
    if (!order || !action) return;
    target.disabled = true;
    try { await action(order, target); } finally { target.disabled = false; render(); }
  });
}

// ---- staff: stock levels from the query API ----
// GET /inventory on the query API with the staff token, every few seconds while
// the board is shown and soon after each order update. Whatever goes wrong
// (the endpoint is missing, the API is down, the answer is odd), the panel says
// stock levels are unavailable and the rest of the page carries on.
const LOW_STOCK = 5;   // available at or below this is flagged
const STOCK_LIMIT = 100;
const stock = {
  timer: null, inFlight: false, again: false, soonTimer: null,
  start() {
    if (!this.timer) this.timer = setInterval(() => this.refresh(), 5000);
  },
  // After an order update: one refresh shortly after, however many updates come.
  soon() {
    if (!this.timer || this.soonTimer) return;
    this.soonTimer = setTimeout(() => { this.soonTimer = null; this.refresh(); }, 300);
  },
  async refresh() {
    if (view !== "board") return;   // nobody sees the panel; showing the board again refreshes it
    if (this.inFlight) { this.again = true; return; }
    this.inFlight = true;
    try { renderStock(await fetchStock()); } catch { renderStock({ error: "Stock levels are unavailable right now." }); }
    this.inFlight = false;
    if (this.again) { this.again = false; this.refresh(); }
  },
};

async function fetchStock() {
  if (!QUERY) return { error: "Stock levels are unavailable: the query host is not allowed." };
  const response = await fetch(`${QUERY}/inventory?limit=${STOCK_LIMIT}`, { headers: authHeaders() }).catch(() => null);
  if (!response) return { error: "Stock levels are unavailable: the query API cannot be reached." };
  if (response.status === 404) return { error: "Stock levels are unavailable: the query API does not offer them yet." };
  if (response.status === 401 || response.status === 403) return { error: "Stock levels need a staff token." };
  if (!response.ok) return { error: `Stock levels are unavailable right now (HTTP ${response.status}).` };
  const body = await response.json().catch(() => null);
  if (!body || !Array.isArray(body.items)) return { error: "Stock levels are unavailable: the answer was not understood." };
  return { items: body.items.filter((item) => item && typeof item.productId === "string"), more: Boolean(body.nextCursor) };
}

function renderStock({ items, more, error }) {
  $("stock-state").textContent = error || (items.length ? (more ? `first ${items.length} products` : `(${items.length})`) : "");
  $("stock-state").classList.toggle("error", Boolean(error));
  $("stock-empty").hidden = Boolean(error) || items.length > 0;
  if (error) { $("stock").innerHTML = ""; return; }
  const number = (value) => Number.isFinite(value) ? String(value) : "—";
  $("stock").innerHTML = items.map((item) => {
    const low = Number.isFinite(item.available) && item.available <= LOW_STOCK;
    const flag = !low ? "" : item.available <= 0 ? `<span class="pill low">out of stock</span>` : `<span class="pill low">low</span>`;
    return `<tr data-product="${escape(item.productId)}" class="${low ? "low" : ""}"><td>${escape(item.productId)}</td>` +
      `<td>${number(item.onHand)}</td><td>${number(item.reserved)}</td><td class="available">${number(item.available)}</td>` +
      `<td>${flag}</td><td class="muted">${time(item.updatedAt)}</td></tr>`;
  }).join("");
}

// ---- staff: place an order for a customer ----
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
  const result = await command("POST", "/orders", body, { "Idempotency-Key": crypto.randomUUID() });
  $("new-order-result").textContent = result.ok ? `placed ${result.body.orderId}` : `failed: ${problemText(result)}`;
  if (result.ok) $("new-order-result").dataset.orderId = result.body.orderId;
});

// ---- customer: place an order with several lines ----
function addLine(productId = "", quantity = 1, unitPrice = "0.00") {
  const line = $("order-line").content.firstElementChild.cloneNode(true);
  line.querySelector('[name="productId"]').value = productId;
  line.querySelector('[name="quantity"]').value = quantity;
  line.querySelector('[name="unitPrice"]').value = unitPrice;
  $("order-lines").append(line);
  updateTotal();
}
function orderLines() {
  return [...$("order-lines").querySelectorAll(".line")].map((line) => ({
    productId: line.querySelector('[name="productId"]').value.trim(),
    quantity: Number(line.querySelector('[name="quantity"]').value),
    unitPriceCents: Math.round(Number(line.querySelector('[name="unitPrice"]').value) * 100),
  }));
}
function updateTotal() {
  const cents = orderLines().reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
  $("order-total").textContent = money(Number.isFinite(cents) ? cents : 0, $("order-currency").value);
}
$("add-line").addEventListener("click", () => {
  if ($("order-lines").children.length < 100) addLine();
});
$("order-lines").addEventListener("click", (event) => {
  if (event.target.dataset.action !== "remove-line") return;
  if ($("order-lines").children.length > 1) event.target.closest(".line").remove();
  updateTotal();
});
$("customer-order").addEventListener("input", updateTotal);
$("customer-order").addEventListener("submit", async (event) => {
  event.preventDefault();
  // No customerId: the command API places it for the token's subject.
  const body = { items: orderLines(), currency: $("order-currency").value };
  const submit = event.target.querySelector('button[type="submit"]');
  submit.disabled = true;
  const result = await command("POST", "/orders", body, { "Idempotency-Key": crypto.randomUUID() });
  submit.disabled = false;
  $("customer-order-result").textContent = result.ok ? `placed ${shortId(result.body.orderId)}`
                                                     : `failed: ${problemText(result)}`;
  if (!result.ok) return;
  $("customer-order-result").dataset.orderId = result.body.orderId;
  // A fresh form for the next order: one empty line.
  $("order-lines").replaceChildren();
  addLine();
  const placed = remember(result.body);
  place(placed);
  render(placed.orderId);
});

// ---- views ----
// The role decides which views there are; staff switch between the board and
// tracking one order.
const VIEWS = { staff: ["board", "track"], customer: ["customer", "track"], courier: ["courier"] }[role];
function showView(name) {
  view = name;
  for (const candidate of ["customer", "courier", "board", "track"]) {
    // A customer sees its orders and the tracked order's timeline together.
    $(`view-${candidate}`).hidden = !(candidate === name || (role === "customer" && VIEWS.includes(candidate)));
  }
  for (const tab of document.querySelectorAll("#tabs button")) tab.setAttribute("aria-selected", tab.dataset.view === name);
  if (name === "board" && !boardShown) {
    boardShown = true;
    send({ type: "subscribe", ...FEEDS.board });
  }
  if (name === "board") { stock.start(); stock.refresh(); }
}
if (role === "staff") {
  for (const tab of document.querySelectorAll("#tabs button")) {
    tab.hidden = false;
    tab.addEventListener("click", () => showView(tab.dataset.view));
  }
}
document.body.dataset.role = role;

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

showView(role === "staff" ? (params.get("view") === "board" ? "board" : "track") : role);
addLine("tea", 2, "4.50");
render();
connect();
if (params.get("order")) setTimeout(() => track(params.get("order")), 300);
