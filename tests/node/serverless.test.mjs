// Stock Socket.IO clients (socket.io-client, python-socketio) on the
// serverless stack of infra/run-local.sh: API Gateway played by `ecb
// gateway`, the real function binaries under `cargo lambda watch`, dynalite.
// The heartbeat is shortened so several ping cycles fit in a test.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import readline from "node:readline";
import { after, before, describe, test } from "node:test";
import { io } from "socket.io-client";
import { PYTHON, ROOT, call, connected, next, rawClient, startServerless, threadToken, userToken } from "./support.mjs";

describe("stock Socket.IO clients on API Gateway + Lambda", () => {
  let stack;
  const sockets = [];
  const connect = (options) => {
    const socket = io(stack.url, { path: `/${stack.stage}`, transports: ["websocket"], reconnection: false, ...options });
    sockets.push(socket);
    return socket;
  };

  before(async () => {
    stack = await startServerless({
      env: {
        ECB_SOCKETIO_PING_INTERVAL_MS: "1000",
        ECB_SOCKETIO_PING_TIMEOUT_MS: "1500",
      },
      gatewayArgs: ["--schedule-every-ms", "200"],
    });
  });
  after(async () => {
    sockets.forEach((s) => s.close());
    await stack?.stop();
  });

  test("socket.io-client joins with auth or query, is refused a bad token, and gets unknown_action", async () => {
    const alice = connect({ auth: { token: await userToken(stack.url, "alice") } });
    await connected(alice, 20000);
    const threads = await call(alice, "getThreads", {});
    assert.equal(threads.ok, true);
    assert.ok(threads.result.items.some((t) => t.threadId === "alice-bob"));
    const unknown = await call(alice, "fly", {});
    assert.equal(unknown.error.code, "unknown_action");

    const forged = connect({ auth: { token: "forged" } });
    const error = await next(forged, "connect_error", 20000);
    assert.equal(error.data.code, "unauthorized");

    const byQuery = connect({ query: { token: await userToken(stack.url, "bob") } });
    await connected(byQuery, 20000);
    assert.equal((await call(byQuery, "getThreads", {})).ok, true);
  });

  test("a socket.io-client and a raw WebSocket client chat in one thread: messages, typing, presence", async () => {
    const token = await threadToken(stack.url, "alice", "alice-bob");
    const alice = connect({ auth: { token: await userToken(stack.url, "alice") } });
    await connected(alice, 20000);
    assert.equal((await call(alice, "getThread", { threadToken: token })).ok, true);
    const online = next(alice, "presence", 20000);
    const bob = await rawClient(stack.url, await userToken(stack.url, "bob"), `/${stack.stage}`);
    assert.equal((await bob.request("getThread", { threadToken: token })).ok, true);
    assert.deepEqual(await online, { threadId: "alice-bob", userId: "bob", online: true });

    const toBob = bob.push("message");
    const sent = await call(alice, "sendMessage", {
      threadToken: token,
      message: { clientMessageId: "sio-1", type: "text", data: "from socket.io" },
    });
    assert.equal(sent.ok, true);
    assert.deepEqual((await toBob).message, sent.result);

    const toAlice = next(alice, "message", 20000);
    const answer = await bob.request("sendMessage", { threadToken: token, message: { type: "text", data: "from raw" } });
    assert.equal(answer.ok, true);
    assert.deepEqual((await toAlice).message, answer.result);

    const typing = next(alice, "typing", 20000);
    const typed = await bob.request("sendMessage", { threadToken: token, message: { type: "typing", data: true } });
    assert.equal(typed.ok, true);
    assert.deepEqual(await typing, { threadId: "alice-bob", userId: "bob", typing: true });

    const offline = next(alice, "presence", 20000);
    bob.close();
    assert.deepEqual(await offline, { threadId: "alice-bob", userId: "bob", online: false });
  });

  test("a quiet socket.io-client survives several ping cycles", async () => {
    const alice = connect({ auth: { token: await userToken(stack.url, "alice") } });
    await connected(alice, 20000);
    const id = alice.id;
    let pings = 0;
    alice.io.engine.on("ping", () => pings++);
    let dropped = null;
    alice.on("disconnect", (reason) => (dropped = reason));
    await new Promise((resolve) => setTimeout(resolve, 5000));
    assert.equal(dropped, null);
    assert.ok(pings >= 3, `${pings} pings in 5 s at an interval of 1 s`);
    assert.equal(alice.id, id);
    assert.equal((await call(alice, "getThreads", {})).ok, true);
  });

  test("python-socketio chats with socket.io-client", async () => {
    const token = await threadToken(stack.url, "alice", "alice-bob");
    const alice = connect({ auth: { token: await userToken(stack.url, "alice") } });
    await connected(alice, 20000);
    assert.equal((await call(alice, "getThread", { threadToken: token })).ok, true);
    const fromPython = next(alice, "message", 30000);
    const python = spawn(
      PYTHON,
      [`${ROOT}/tests/python/socketio_chat.py`, stack.url, stack.stage, await userToken(stack.url, "bob"), token],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const lines = readline.createInterface({ input: python.stdout });
    const reports = [];
    const done = new Promise((resolve) => python.on("exit", resolve));
    for await (const line of lines) {
      const report = JSON.parse(line);
      reports.push(report);
      if (report.ready) {
        assert.equal((await fromPython).message.data, "hello from python");
        const answer = await call(alice, "sendMessage", { threadToken: token, message: { type: "text", data: "hello python" } });
        assert.equal(answer.ok, true);
      }
    }
    assert.equal(await done, 0);
    const seen = reports.at(-1);
    assert.equal(seen.thread.ok, true);
    assert.equal(seen.sent.ok, true);
    assert.equal(seen.sent.result.senderId, "bob");
    assert.equal(seen.unknown.error.code, "unknown_action");
    assert.equal(seen.gotPush, true);
    assert.equal(seen.pushed.message.data, "hello python");
  });
});
