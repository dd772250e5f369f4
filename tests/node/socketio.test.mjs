// Stock socket.io-client 4.x against `ecb serve`: every transport, tokens,
// pushes across transports, binary echo, and reconnection after a restart.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { io } from "socket.io-client";
import {
  call,
  connected,
  freePort,
  next,
  rawClient,
  startConformance,
  startDemo,
  threadToken,
  userToken,
} from "./support.mjs";

describe("socket.io-client against ECB", () => {
  let demo;
  let port;
  const sockets = [];
  const connect = (token, options = {}) => {
    const socket = io(demo.url, { auth: { token }, reconnection: false, ...options });
    sockets.push(socket);
    return socket;
  };

  before(async () => {
    port = await freePort();
    demo = await startDemo(port);
  });
  after(async () => {
    sockets.forEach((s) => s.close());
    await demo.stop();
  });

  for (const [name, transports] of [
    ["polling only", ["polling"]],
    ["websocket only", ["websocket"]],
  ]) {
    test(`${name}: connects, runs operations and receives pushes`, async () => {
      const alice = connect(await userToken(demo.url, "alice"), { transports });
      const bob = connect(await userToken(demo.url, "bob"), { transports });
      await Promise.all([connected(alice), connected(bob)]);
      assert.equal(alice.io.engine.transport.name, transports[0]);

      const threads = await call(alice, "getThreads", {});
      assert.equal(threads.ok, true);
      const token = threads.result.items.find((t) => t.threadId === "alice-bob").threadToken;
      assert.equal((await call(alice, "getThread", { threadToken: token })).ok, true);
      assert.equal((await call(bob, "getThread", { threadToken: token })).ok, true);

      const pushed = next(bob, "message");
      const ack = await call(alice, "sendMessage", {
        threadToken: token,
        message: { clientMessageId: `${name}-1`, type: "text", data: `hello over ${name}` },
      });
      assert.equal(ack.ok, true);
      assert.equal(ack.result.senderId, "alice");
      const push = await pushed;
      assert.deepEqual(push, { threadId: "alice-bob", message: ack.result });

      const typing = next(alice, "typing");
      await call(bob, "sendMessage", { threadToken: token, message: { type: "typing", data: true } });
      assert.deepEqual(await typing, { threadId: "alice-bob", userId: "bob", typing: true });

      const unknown = await call(alice, "fly", {});
      assert.deepEqual(unknown.error.code, "unknown_action");
      alice.close();
      bob.close();
    });
  }

  test("default transports: polling first, then upgraded to websocket", async () => {
    const alice = connect(await userToken(demo.url, "alice"));
    assert.equal(alice.io.engine.transport.name, "polling");
    const upgraded = next(alice.io.engine, "upgrade");
    await next(alice, "connect");
    await upgraded;
    assert.equal(alice.io.engine.transport.name, "websocket");
    const presence = await call(alice, "getPresence", {
      threadToken: await threadToken(demo.url, "alice", "welcome"),
    });
    assert.equal(presence.ok, true);
    alice.close();
  });

  test("a bad token is refused with CONNECT_ERROR {code, message}", async () => {
    for (const token of ["garbage", undefined]) {
      const socket = connect(token);
      const error = await next(socket, "connect_error");
      assert.match(error.message, /userToken/);
      assert.equal(error.data.code, "unauthorized");
      assert.equal(socket.connected, false);
    }
  });

  test("Socket.IO and raw WebSocket clients chat in one thread", async () => {
    const token = await threadToken(demo.url, "carol", "welcome");
    const carol = connect(await userToken(demo.url, "carol"));
    await connected(carol);
    await call(carol, "getThread", { threadToken: token });
    const dave = await rawClient(demo.url, await userToken(demo.url, "dave"));
    const opened = await dave.request("getThread", { threadToken: token });
    assert.equal(opened.ok, true);

    const toCarol = next(carol, "message");
    const daveAck = await dave.request("sendMessage", {
      threadToken: token,
      message: { type: "text", data: "from raw websocket" },
    });
    assert.equal(daveAck.ok, true);
    assert.deepEqual((await toCarol).message, daveAck.result);

    const carolAck = await call(carol, "sendMessage", {
      threadToken: token,
      message: { type: "text", data: "from socket.io" },
    });
    const push = await dave.push("message");
    assert.deepEqual(push.message, carolAck.result);
    dave.close();
    carol.close();
  });

  test("an event over ECB_MAX_PAYLOAD gets payload_too_large and the socket stays usable", async () => {
    const alice = connect(await userToken(demo.url, "alice"), { transports: ["websocket"] });
    await connected(alice);
    const token = await threadToken(demo.url, "alice", "welcome");
    const big = await call(alice, "sendMessage", {
      threadToken: token,
      message: { type: "text", data: "x".repeat(40000) },
    });
    assert.equal(big.ok, false);
    assert.equal(big.error.code, "payload_too_large");
    const small = await call(alice, "sendMessage", {
      threadToken: token,
      message: { type: "text", data: "still here" },
    });
    assert.equal(small.ok, true);
    assert.equal(small.result.data, "still here");
    alice.close();
  });

  test("messages sent just before the client leaves are all stored and pushed", async () => {
    const token = await threadToken(demo.url, "alice", "welcome");
    const alice = connect(await userToken(demo.url, "alice"), { transports: ["websocket"] });
    const dave = connect(await userToken(demo.url, "dave"), { transports: ["websocket"] });
    await Promise.all([connected(alice), connected(dave)]);
    await call(alice, "getThread", { threadToken: token });
    await call(dave, "getThread", { threadToken: token });
    const texts = ["one", "two", "three", "four", "five"].map((n) => `last words ${n}`);
    const received = [];
    const all = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only got ${JSON.stringify(received)}`)), 10000);
      dave.on("message", (push) => {
        received.push(push.message.data);
        if (received.length === texts.length) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    // No waiting for acks: the server still has most of these in hand when
    // the socket closes, and must not drop them.
    for (const [i, text] of texts.entries()) {
      alice.emit("sendMessage", {
        threadToken: token,
        message: { clientMessageId: `last-${i}`, type: "text", data: text },
      });
    }
    alice.close();
    await all;
    assert.deepEqual(received, texts);
    dave.close();
  });

  test("a client whose server restarts reconnects and works again", async () => {
    const token = await userToken(demo.url, "bob");
    const bob = io(demo.url, {
      auth: { token },
      reconnectionDelay: 100,
      reconnectionDelayMax: 300,
      transports: ["websocket"],
    });
    sockets.push(bob);
    await connected(bob);
    const firstId = bob.id;
    const dropped = next(bob, "disconnect");
    await demo.stop();
    await dropped;
    demo = await startDemo(port);
    // The restarted demo signs with the same key, so the old token still verifies.
    // It may be back before this line runs: the banner prints after ECB listens.
    await connected(bob, 15000);
    assert.notEqual(bob.id, firstId);
    const threads = await call(bob, "getThreads", {});
    assert.equal(threads.ok, true);
    bob.close();
  });
});

describe("socket.io-client against the conformance server", () => {
  let server;
  before(async () => {
    server = await startConformance(await freePort());
  });
  after(() => server.stop());

  test("binary payloads echo unchanged", async () => {
    for (const transports of [["polling"], ["websocket"]]) {
      const socket = io(server.url, { transports, reconnection: false });
      await connected(socket);
      const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
      const back = next(socket, "message-back");
      socket.emit("message", bytes, { nested: bytes, text: "plain" });
      const [first, second] = await back;
      assert.deepEqual(Buffer.from(first), bytes);
      assert.deepEqual(Buffer.from(second.nested), bytes);
      assert.equal(second.text, "plain");
      const acked = await socket.timeout(5000).emitWithAck("message-with-ack", bytes);
      assert.deepEqual(Buffer.from(acked), bytes);
      socket.close();
    }
  });
});
