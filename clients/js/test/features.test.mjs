// ecb-client's chat features against a real `ecb demo`, on both transports:
// gap-free recovery after a reconnect (50 missed messages, messages sent
// during recovery, and an honest `recovered: false`), history, read receipts.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import { connect } from "../dist/esm/index.js";
import { collect, freePort, nextEvent, publish, sleep, startDemo, startProxy, waitFor, tokenOf } from "./support.mjs";

const backoff = { minDelayMs: 50, maxDelayMs: 200 };

for (const transport of ["socket.io", "websocket"]) {
  describe(`ecb-client over ${transport}: chat features`, () => {
    let demo;
    const clients = [];
    const open = async (url, user) => {
      const client = await connect({ url, accessToken: user, transport, WebSocket, backoff });
      clients.push(client);
      return client;
    };

    before(async () => {
      demo = await startDemo(await freePort());
    });
    after(async () => {
      clients.forEach((c) => c.close());
      await demo.stop();
    });

    test("after a reconnect every missed message arrives once, oldest first, with those sent meanwhile", async () => {
      const proxy = await startProxy(Number(new URL(demo.url).port));
      try {
        const alice = await open(proxy.url, "alice");
        const bob = await open(demo.url, "bob");
        const token = await tokenOf(alice, "alice-bob");
        await alice.getThread(token);
        await bob.getThread(await tokenOf(bob, "alice-bob"));
        const seenFirst = nextEvent(alice, "message");
        const first = await bob.sendMessage(token, { type: "text", data: "before the drop" });
        assert.equal((await seenFirst).message.messageId, first.messageId);
        const shown = collect(alice, "message");
        const recoveries = collect(alice, "recovered");

        // Alice's network drops; 50 messages are sent while she is away.
        proxy.block(true);
        proxy.cut();
        await waitFor(() => alice.state === "reconnecting", 5000, "alice reconnecting");
        // Paced under ECB's 20 operations a second per connection.
        const send = async (data) => {
          sent.push(await bob.sendMessage(token, { type: "text", data }));
          await sleep(55);
        };
        const sent = [];
        for (let i = 0; i < 50; i++) await send(`missed ${i}`);
        // She comes back while more are being sent.
        proxy.block(false);
        for (let i = 0; i < 10; i++) await send(`meanwhile ${i}`);

        await waitFor(() => shown.length >= sent.length, 15000, "every message");
        await sleep(300);
        assert.deepEqual(
          shown.map((m) => m.message.messageId),
          sent.map((m) => m.messageId),
          "each once, in order",
        );
        assert.deepEqual(recoveries, [{ threadId: "alice-bob", recovered: true }]);
      } finally {
        await proxy.close();
      }
    });

    test("a gap the backend cannot close is reported as recovered: false", async () => {
      const proxy = await startProxy(Number(new URL(demo.url).port));
      try {
        const alice = await open(proxy.url, "alice");
        const token = await tokenOf(alice, "welcome");
        await alice.getThread(token);
        // The last message alice shows is one the backend never stored.
        const ghost = nextEvent(alice, "message");
        await publish(demo.url, "welcome", { messageId: `ghost-${transport}`, senderId: "bot", type: "text", data: "?" });
        await ghost;
        const recoveries = collect(alice, "recovered");
        proxy.cut();
        await waitFor(() => recoveries.length === 1, 10000, "the recovery report");
        assert.equal(recoveries[0].threadId, "welcome");
        assert.equal(recoveries[0].recovered, false);
        assert.equal(recoveries[0].error.backend.code, "unknown_message");
        // The connection itself is fine: pushes go on.
        const bob = await open(demo.url, "bob");
        const pushed = nextEvent(alice, "message");
        const sent = await bob.sendMessage(await tokenOf(bob, "welcome"), { type: "text", data: "after" });
        assert.equal((await pushed).message.messageId, sent.messageId);
      } finally {
        await proxy.close();
      }
    });

    test("history pages older messages; markRead tells the others and the reader's other devices", async () => {
      const alice = await open(demo.url, "alice");
      const alicePhone = await open(demo.url, "alice");
      const bob = await open(demo.url, "bob");
      const token = await tokenOf(alice, "alice-bob");
      for (const client of [alice, alicePhone, bob]) await client.getThread(token);
      const sent = [];
      for (let i = 0; i < 3; i++) sent.push(await bob.sendMessage(token, { type: "text", data: `page ${i}` }));
      const newest = await alice.getMessages(token, { pageSize: 2 });
      assert.deepEqual(newest.messages.map((m) => m.messageId), sent.slice(1).map((m) => m.messageId));
      assert.equal(newest.hasMore, true);
      const older = await alice.getMessages(token, { before: newest.messages[0].messageId, pageSize: 1 });
      assert.deepEqual(older.messages.map((m) => m.messageId), [sent[0].messageId]);

      const last = sent.at(-1).messageId;
      const toBob = nextEvent(bob, "read");
      const toPhone = nextEvent(alicePhone, "read");
      const mine = collect(alice, "read");
      await alice.markRead(token, last);
      const expected = { threadId: "alice-bob", userId: "alice", messageId: last };
      assert.deepEqual(await toBob, expected);
      assert.deepEqual(await toPhone, expected);
      await sleep(200);
      assert.deepEqual(mine, []);
      await assert.rejects(alice.markRead(token, "m-none"), (error) => error.backend?.code === "unknown_message");
    });
  });
}
