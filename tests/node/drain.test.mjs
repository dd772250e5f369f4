// A rolling deploy with stock clients: SIGTERM to one `ecb serve` while
// Socket.IO (polling, upgraded, WebSocket-only) and raw WebSocket clients
// chat through a load balancer that follows /readyz. Every message the
// draining server acked reaches every other member, the clients are told
// to reconnect (socket.io-client reconnects by itself, to the second
// server; raw WebSocket gets close 1012), and the process exits within
// ECB_DRAIN_TIMEOUT_MS. A second signal exits at once.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { io } from "socket.io-client";
import WebSocket from "ws";
import { DEMO_PUBLIC_KEY_FILE, PATIENCE, call, connected, freePort, startDemoBackend, startServe, threadToken, userToken } from "./support.mjs";
import { startReadinessProxy } from "./readiness-proxy.mjs";

const DRAIN_TIMEOUT_MS = 4000;
const THREAD = "welcome";
const SEND_EVERY_MS = 10;

let backend;
let servers = [];
let proxy;
// Every client a test opened: closed after the tests whatever they found,
// since a socket.io-client left reconnecting keeps the process alive.
const clients = [];

before(async () => {
  backend = await startDemoBackend(await freePort());
  const env = { ECB_DRAIN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS) };
  for (let i = 0; i < 2; i++) {
    servers.push(await startServe(await freePort(), backend.url, DEMO_PUBLIC_KEY_FILE, env));
  }
  proxy = await startReadinessProxy(servers.map((server) => server.url));
});

after(async () => {
  for (const client of clients) client.close();
  await proxy?.stop();
  for (const server of servers) await server.stop();
  await backend?.stop();
});

/** A stock socket.io-client member of the thread that rejoins it after
 * each reconnection and remembers every message pushed to it. */
async function socketIoMember(name, transports) {
  const token = await userToken(servers[1].url, name);
  const thread = await threadToken(servers[1].url, name, THREAD);
  const socket = io(proxy.url, {
    auth: { token },
    transports,
    reconnectionDelay: 50,
    reconnectionDelayMax: 200,
  });
  clients.push(socket);
  const member = { name, socket, thread, received: new Set(), disconnects: [], joins: 0 };
  socket.on("message", ({ message }) => member.received.add(message.messageId));
  socket.on("disconnect", (reason) => member.disconnects.push(reason));
  socket.on("connect", async () => {
    const joined = await call(socket, "getThread", { threadToken: thread });
    assert.equal(joined.ok, true, JSON.stringify(joined));
    member.joins += 1;
  });
  await connected(socket);
  await until(() => member.joins === 1);
  return member;
}

/** A raw WebSocket member (PROTOCOL.md transport 2), joined to the thread. */
async function rawMember(name) {
  const token = await userToken(servers[1].url, name);
  const thread = await threadToken(servers[1].url, name, THREAD);
  const socket = new WebSocket(`${proxy.url.replace("http", "ws")}/ws?token=${token}`);
  clients.push(socket);
  const member = { name, socket, thread, received: new Set(), closeCode: null, acks: new Map() };
  socket.on("message", (data) => {
    const frame = JSON.parse(data.toString());
    if (frame.type === "message") member.received.add(frame.message.messageId);
    if (frame.type === "response") member.acks.get(frame.requestId)?.(frame);
  });
  socket.on("close", (code) => (member.closeCode = code));
  await once(socket, "open");
  let nextId = 1;
  member.request = (action, payload) =>
    new Promise((resolve) => {
      const requestId = nextId++;
      member.acks.set(requestId, resolve);
      socket.send(JSON.stringify({ action, requestId, ...payload }));
    });
  const joined = await member.request("getThread", { threadToken: thread });
  assert.equal(joined.ok, true, JSON.stringify(joined));
  return member;
}

async function until(condition, ms = PATIENCE) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${condition}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test("SIGTERM mid-chat: every acked message reaches every member, clients reconnect to the other server, the process exits in time", async () => {
  const [draining, standby] = servers;
  const members = [
    await socketIoMember("alice", ["polling", "websocket"]),
    await socketIoMember("bob", ["polling"]),
    await socketIoMember("carol", ["websocket"]),
  ];
  const dave = await rawMember("dave");
  const everyone = [...members, dave];
  // Every message acked while its sender was still on the first server.
  const acked = [];
  let sending = true;
  const senders = members.map(async (member, index) => {
    for (let i = 0; sending && member.joins === 1; i++) {
      const message = { type: "text", data: `${member.name} ${i}`, clientMessageId: `${member.name}-${i}` };
      member.socket
        .timeout(PATIENCE)
        .emitWithAck("sendMessage", { threadToken: member.thread, message })
        .then((envelope) => {
          if (envelope.ok && member.joins === 1 && member.disconnects.length === 0) {
            acked.push({ from: member.name, messageId: envelope.result.messageId });
          }
        })
        .catch(() => {}); // unacked (ignored while draining): the client's to resend
      await new Promise((resolve) => setTimeout(resolve, SEND_EVERY_MS + index));
    }
  });
  const daveSends = (async () => {
    for (let i = 0; sending && dave.closeCode === null; i++) {
      const message = { type: "text", data: `dave ${i}`, clientMessageId: `dave-${i}` };
      dave.request("sendMessage", { threadToken: dave.thread, message }).then((frame) => {
        if (frame.ok) acked.push({ from: "dave", messageId: frame.result.messageId });
      });
      await new Promise((resolve) => setTimeout(resolve, SEND_EVERY_MS));
    }
  })();
  await until(() => acked.length >= 20);

  const signalled = Date.now();
  draining.child.kill("SIGTERM");
  const [code] = await once(draining.child, "exit");
  const took = Date.now() - signalled;
  sending = false;
  await Promise.all([...senders, daveSends]);

  assert.equal(code, 0, "a drained server exits cleanly");
  assert.ok(took < DRAIN_TIMEOUT_MS, `exited within the drain time (${took} ms)`);
  assert.equal(dave.closeCode, 1012, "raw WebSocket clients are told: service restart");
  for (const member of members) {
    assert.ok(member.disconnects.length >= 1, `${member.name} saw the server go`);
    assert.ok(
      !member.disconnects.includes("io server disconnect"),
      `${member.name} got an Engine.IO close it retries, not a namespace DISCONNECT: ${member.disconnects}`,
    );
  }
  // socket.io-client reconnected on its own, through the balancer, to the
  // server that is ready, and the chat goes on there.
  await until(() => members.every((member) => member.joins === 2 && member.socket.connected));
  // socket.io-client hands the events that came with the close packet to
  // the app as it reconnects (it buffers events while disconnected).
  for (const { from, messageId } of acked) {
    for (const member of everyone.filter((m) => m.name !== from)) {
      assert.ok(
        member.received.has(messageId),
        `${member.name} got ${from}'s acked ${messageId} (its disconnects: ${member.disconnects ?? member.closeCode})`,
      );
    }
  }

  const health = await (await fetch(`${standby.url}/healthz`)).json();
  assert.equal(health.connections, members.length, "the Socket.IO clients are on the second server");
  const [alice, ...others] = members;
  const after = await call(alice.socket, "sendMessage", {
    threadToken: alice.thread,
    message: { type: "text", data: "still here" },
  });
  assert.equal(after.ok, true, JSON.stringify(after));
  await until(() => others.every((member) => member.received.has(after.result.messageId)));
  for (const member of members) member.socket.close();
  dave.socket.close();
});

test("a second signal during a drain exits at once", async () => {
  const port = await freePort();
  const server = await startServe(port, backend.url, DEMO_PUBLIC_KEY_FILE, { ECB_DRAIN_TIMEOUT_MS: "20000" });
  // An Engine.IO polling session that joined and then stopped polling: a
  // drain waits for it to fetch its close packet.
  const token = await userToken(server.url, "alice");
  const open = await (await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`)).text();
  const { sid } = JSON.parse(open.slice(1));
  await fetch(`${server.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
    method: "POST",
    body: `40${JSON.stringify({ token })}`,
  });
  await until(async () => (await (await fetch(`${server.url}/healthz`)).json()).connections === 1);
  server.child.kill("SIGTERM");
  await until(() => fetch(`${server.url}/readyz`).then((r) => r.status === 503));
  const signalled = Date.now();
  server.child.kill("SIGTERM");
  const [code] = await once(server.child, "exit");
  assert.ok(Date.now() - signalled < 1000, "the second signal does not wait for the drain");
  assert.equal(code, 130);
});
