// The fan-out baseline of ./infra/bench.sh: a plain Node.js `ws` server that
// relays every text message arriving on /publish to every client connected on
// /ws, doing nothing else (no parsing, no per-subscriber state, no limits).
//
//   node broadcast.mjs [port=0]   prints {"msg":"listening","port":N}
import { createServer } from "node:http";
import { WebSocketServer } from "ws";

const server = createServer((request, response) => { response.writeHead(404).end(); });
const subscribers = new WebSocketServer({ noServer: true, perMessageDeflate: false });
const publishers = new WebSocketServer({ noServer: true, perMessageDeflate: false });

server.on("upgrade", (request, socket, head) => {
  const target = request.url.startsWith("/publish") ? publishers : subscribers;
  target.handleUpgrade(request, socket, head, (ws) => target.emit("connection", ws, request));
});
subscribers.on("connection", (ws) => { ws.on("message", () => {}); });
publishers.on("connection", (ws) => {
  ws.on("message", (data, isBinary) => {
    for (const client of subscribers.clients) {
      if (client.readyState === 1) client.send(data, { binary: isBinary });
    }
  });
});

server.listen(Number(process.argv[2] || 0), "127.0.0.1", () => {
  console.log(JSON.stringify({ msg: "listening", port: server.address().port }));
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
