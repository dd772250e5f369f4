// ECB bridges what the backend stores: a JavaScript backend that stores
// `createdAt: new Date()` and its own field names chats through ECB, and
// stock socket.io-client (polling, upgraded, websocket only), raw WebSocket
// and REST clients receive exactly what it stored.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { io } from "socket.io-client";
import { startJsStyleBackend } from "./js-style-backend.mjs";
import { call, connected, freePort, next, rawClient, rest, startServe } from "./support.mjs";

describe("a JavaScript-style backend through ECB", () => {
  let backend;
  let ecb;
  const sockets = [];
  const connect = (token, transports) => {
    const socket = io(ecb.url, { auth: { token }, reconnection: false, transports });
    sockets.push(socket);
    return socket;
  };

  before(async () => {
    backend = await startJsStyleBackend();
    ecb = await startServe(await freePort(), backend.url, backend.publicKeyFile);
  });
  after(async () => {
    for (const socket of sockets) socket.close();
    await ecb?.stop();
    backend?.close();
  });

  test("every transport carries the stored fields unchanged", async () => {
    const token = async (user) => (await rest(ecb.url, "getUserToken", { accessToken: user })).body.result.userToken;
    const [alice, bob, carol, dave] = await Promise.all(["alice", "bob", "carol", "dave"].map(token));
    const polling = connect(alice, ["polling"]);
    const upgraded = connect(bob, ["polling", "websocket"]);
    const websocket = connect(carol, ["websocket"]);
    await Promise.all([polling, upgraded, websocket].map((s) => connected(s)));
    const raw = await rawClient(ecb.url, dave);

    const created = await call(polling, "createThread", {
      memberIds: ["bob", "carol", "dave"],
      data: { title: "Launch" },
      message: { type: "text", data: { text: "hi", mentions: [] } },
    });
    assert.equal(created.ok, true, JSON.stringify(created));
    assert.equal(JSON.stringify(created.result.messages[0]), backend.lastSent());
    assert.match(created.result.messages[0].createdAt, /^\d{4}-\d\d-\d\dT/);
    const threadToken = created.result.thread.threadToken;
    assert.deepEqual(created.result.thread.participants.map((p) => p.userId), ["alice", "bob", "carol", "dave"]);

    for (const socket of [upgraded, websocket]) {
      const opened = await call(socket, "getThread", { threadToken });
      assert.equal(opened.ok, true, JSON.stringify(opened));
      assert.equal(opened.result.unread, 0);
      assert.equal(JSON.stringify(opened.result.messages), `[${backend.lastSent()}]`);
    }
    assert.equal((await raw.request("getThread", { threadToken })).ok, true);

    // Each client sends once; the ack and every other client's push carry
    // the stored message as the backend wrote it.
    const senders = [
      ["polling", (m) => call(polling, "sendMessage", m)],
      ["upgraded", (m) => call(upgraded, "sendMessage", m)],
      ["websocket", (m) => call(websocket, "sendMessage", m)],
      ["raw", (m) => raw.request("sendMessage", m)],
      ["rest", (m) => rest(ecb.url, "sendMessage", m, alice).then((r) => r.body)],
    ];
    for (const [name, send] of senders) {
      const waits = [polling, upgraded, websocket]
        .filter((_, i) => ["polling", "upgraded", "websocket"][i] !== name && !(name === "rest" && i === 0))
        .map((s) => next(s, "message"));
      const rawWait = name === "raw" ? null : raw.push("message");
      const ack = await send({ threadToken, message: { clientMessageId: `${name}-1`, type: "text", data: `from ${name}` } });
      assert.equal(ack.ok, true, `${name}: ${JSON.stringify(ack)}`);
      const stored = backend.lastSent();
      assert.equal(JSON.stringify(ack.result), stored, `${name}'s ack`);
      for (const push of await Promise.all(waits)) assert.equal(JSON.stringify(push.message), stored, `push of ${name}'s message`);
      if (rawWait) assert.equal(JSON.stringify((await rawWait).message), stored, `raw push of ${name}'s message`);
    }

    // Lists the backend answers whole: ECB pages them, items unchanged.
    const contacts = await call(websocket, "getContacts", { pageSize: 1 });
    assert.deepEqual(contacts.result.items, [{ userId: "bob", email: "bob@example.com", lastSeen: "1970-01-01T00:00:00.000Z" }]);
    assert.deepEqual(contacts.result.nextPage, { pageStartIndex: 1, pageSize: 1 });
    const threads = await call(upgraded, "getThreads", {});
    assert.equal(threads.result.items[0].title, "Launch");
    assert.equal(threads.result.items[0].archived, null);
    raw.close();
  });
});
