// HBF benchmark peer: a WebSocket echo on Bun.serve, as Bun's docs show it
// (bench: ws_echo scenario). Each message comes back as "echo:" + message,
// as hbf's bench route answers. Env: PORT. Several instances share the port
// (reusePort), one per core, as for the HTTP app.
const port = Number(process.env.PORT || 3000);
Bun.serve({
  port,
  hostname: "127.0.0.1",
  reusePort: true,
  fetch(req, server) {
    if (server.upgrade(req)) return;
    return new Response("ok");
  },
  websocket: {
    message(ws, message) {
      ws.send("echo:" + message);
    },
  },
});
