// A load balancer in front of several ECB servers, as a rolling deploy
// has: a new client goes to the first server whose /readyz answers 200
// (checked every few tens of milliseconds), and an Engine.IO session's
// requests stick to the server that opened it (Socket.IO's docs require
// sticky sessions for polling behind several servers; the sid is read off
// the request line and learnt from the handshake). Open connections are
// piped through untouched, so a draining server keeps its clients until it
// closes them, and their reconnections land on a server that is ready.
import net from "node:net";
import { once } from "node:events";

const CHECK_EVERY_MS = 25;

/** Starts the proxy on a free loopback port in front of `targets` (URLs). */
export async function startReadinessProxy(targets) {
  const ready = new Map(targets.map((url) => [url, false]));
  let checking = true;
  const check = async () => {
    while (checking) {
      await Promise.all(
        targets.map(async (url) => {
          try {
            const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(500) });
            ready.set(url, response.status === 200);
          } catch {
            ready.set(url, false);
          }
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, CHECK_EVERY_MS));
    }
  };
  const checks = check();
  const sockets = new Set();
  const sessions = new Map(); // Engine.IO sid → the server that holds it
  const server = net.createServer((client) => {
    client.once("data", (first) => {
      const sid = /[?&]sid=([^&\s]+)/.exec(first.toString("latin1"))?.[1];
      const target = sessions.get(sid) ?? targets.find((url) => ready.get(url));
      if (!target) {
        client.destroy();
        return;
      }
      const { hostname, port } = new URL(target);
      const upstream = net.connect(Number(port), hostname);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
        socket.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      upstream.on("data", (chunk) => {
        for (const [, opened] of chunk.toString("latin1").matchAll(/"sid":"([^"]+)"/g)) {
          sessions.set(opened, target);
        }
      });
      upstream.write(first);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    client.on("error", () => client.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  // The first server is ready before any client connects.
  while (!targets.some((url) => ready.get(url))) {
    await new Promise((resolve) => setTimeout(resolve, CHECK_EVERY_MS));
  }
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    async stop() {
      checking = false;
      await checks;
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}
