// ecb-client's resilience against real servers, on both transports: ECB
// restarts (queued sends go out once, threads are rejoined), an unacked send
// is resent with its clientMessageId and stored once, tokens are refreshed.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import { connect, getUserToken } from "../dist/esm/index.js";
import {
  collect,
  freePort,
  nextEvent,
  now,
  settled,
  signToken,
  sleep,
  startDemo,
  startProxy,
  startServe,
  waitFor,
  tokenOf,
} from "./support.mjs";

const backoff = { minDelayMs: 50, maxDelayMs: 400 };

for (const transport of ["socket.io", "websocket"]) {
  describe(`ecb-client over ${transport}: resilience`, () => {
    let demo;
    const clients = [];
    const open = async (url, user, options = {}) => {
      const client = await connect({ url, accessToken: user, transport, WebSocket, backoff, ...options });
      clients.push(client);
      return client;
    };
    /** How many stored messages of the thread carry each clientMessageId. */
    const stored = async (client, threadToken, clientMessageIds) => {
      const { messages } = await client.getThread(threadToken);
      return clientMessageIds.map((id) => messages.filter((m) => m.clientMessageId === id).length);
    };

    before(async () => {
      demo = await startDemo(await freePort());
    });
    after(async () => {
      clients.forEach((c) => c.close());
      await demo.stop();
    });

    test("ECB restarts: sends made while it is away are queued, then stored once; threads are rejoined", async () => {
      // ECB alone in front of the demo backend, so the backend keeps its memory.
      const port = await freePort();
      let ecb = await startServe(port, demo.backendUrl);
      try {
        const alice = await open(ecb.url, "alice");
        const bob = await open(ecb.url, "bob");
        const token = await tokenOf(alice, "alice-bob");
        await alice.getThread(token);
        await bob.getThread(await tokenOf(bob, "alice-bob"));
        const aliceStates = collect(alice, "state");
        const bobMessages = collect(bob, "message");

        await ecb.stop();
        await waitFor(() => alice.state === "reconnecting", 5000, "alice reconnecting");
        const ids = [1, 2, 3].map((i) => `away-${transport}-${i}`);
        const sends = ids.map((id) =>
          alice.sendMessage(token, { type: "text", data: `sent while ECB was away (${id})`, clientMessageId: id }),
        );
        const unsent = alice.sendMessage(token, { type: "text", data: "no id given" });
        await sleep(500);
        assert.equal(await settled(Promise.race([...sends, unsent])), false, "the sends wait for ECB");

        ecb = await startServe(port, demo.backendUrl);
        const acks = await Promise.all(sends);
        const lastAck = await unsent;
        assert.deepEqual(
          acks.map((a) => a.clientMessageId),
          ids,
        );
        assert.deepEqual(aliceStates.slice(0, 2), ["reconnecting", "connected"]);
        assert.equal(alice.state, "connected");

        // Bob rejoined the thread: he gets each message once, by push or by the rejoin.
        const all = [...acks, lastAck].map((a) => a.messageId);
        await waitFor(() => all.every((id) => bobMessages.some((m) => m.message.messageId === id)), 10000, "bob's messages");
        await sleep(300);
        for (const id of all) assert.equal(bobMessages.filter((m) => m.message.messageId === id).length, 1);
        // And he still gets new pushes on the new connection.
        const pushed = nextEvent(bob, "message");
        const fresh = await alice.sendMessage(token, { type: "text", data: "after the restart" });
        assert.equal((await pushed).message.messageId, fresh.messageId);

        // Stored exactly once each, in the order sent.
        assert.deepEqual(await stored(alice, token, [...ids, lastAck.clientMessageId]), [1, 1, 1, 1]);
        const { messages } = await alice.getThread(token);
        const order = messages.map((m) => m.clientMessageId).filter((id) => ids.includes(id));
        assert.deepEqual(order, ids);
      } finally {
        await ecb.stop();
      }
    });

    test("a send whose ack is lost is resent with its clientMessageId and stored once", async () => {
      const proxy = await startProxy(Number(new URL(demo.url).port));
      try {
        const alice = await open(proxy.url, "alice");
        const bob = await open(demo.url, "bob");
        const token = await tokenOf(alice, "alice-bob");
        await alice.getThread(token);
        await bob.getThread(await tokenOf(bob, "alice-bob"));
        const bobMessages = collect(bob, "message");

        // ECB stores the message and pushes it to bob, but alice never hears the ack…
        proxy.mute();
        const id = `in-flight-${transport}`;
        const sending = alice.sendMessage(token, { type: "text", data: "ack lost", clientMessageId: id });
        const first = await waitFor(() => bobMessages.find((m) => m.message.clientMessageId === id), 5000, "the push");
        assert.equal(await settled(sending), false);
        // …then her connection drops: she reconnects and sends it again.
        proxy.cut();
        const ack = await sending;
        assert.equal(ack.messageId, first.message.messageId, "the backend answered with the first stored message");
        assert.deepEqual(await stored(alice, token, [id]), [1]);
        // ECB pushed the resend's answer to bob again; his client dropped it.
        await sleep(300);
        assert.equal(bobMessages.filter((m) => m.message.clientMessageId === id).length, 1);
      } finally {
        await proxy.close();
      }
    });

    test("rejoining delivers the messages missed while away, without repeats", async () => {
      const proxy = await startProxy(Number(new URL(demo.url).port));
      try {
        const alice = await open(demo.url, "alice");
        const bob = await open(proxy.url, "bob");
        const token = await tokenOf(alice, "welcome");
        const opened = await bob.getThread(await tokenOf(bob, "welcome"));
        const bobMessages = collect(bob, "message");
        const bobStates = collect(bob, "state");

        // Bob's connection is cut and he cannot come back until alice has written.
        proxy.block(true);
        proxy.cut();
        await waitFor(() => bobStates.includes("reconnecting"), 5000, "bob reconnecting");
        const missed = await alice.sendMessage(token, { type: "text", data: "while bob was away" });
        await sleep(300);
        assert.deepEqual(bobMessages, []);
        proxy.block(false);
        await waitFor(() => bobMessages.some((m) => m.message.messageId === missed.messageId), 10000, "the missed message");
        await sleep(300);
        assert.deepEqual(
          bobMessages.map((m) => m.message.messageId),
          [missed.messageId],
          "only the missed message, not the ones getThread had given",
        );
        assert.ok(opened.messages.every((m) => m.messageId !== missed.messageId));
      } finally {
        await proxy.close();
      }
    });

    test("a userToken close to its exp is refreshed in place: same connection, same threads", async () => {
      let refreshed = 0;
      const refreshToken = async () => {
        refreshed += 1;
        return getUserToken(demo.url, "alice");
      };
      // Expires in 63 s: due for refresh (60 s before exp) in 2 to 3 s.
      const short = signToken({ userId: "alice", displayName: "Alice", exp: now() + 63 });
      const alice = await open(demo.url, undefined, { userToken: short, refreshToken });
      const token = await tokenOf(alice, "alice-bob");
      await alice.getThread(token);
      const states = collect(alice, "state");
      await waitFor(() => refreshed === 1 && alice.userToken !== short, 8000, "the refresh");
      // refreshToken swapped the token on the open connection: no reconnect.
      await sleep(300);
      assert.deepEqual(states, []);
      assert.equal(alice.state, "connected");
      // The thread is still joined: bob's message is pushed.
      const bob = await open(demo.url, "bob");
      const pushed = nextEvent(alice, "message");
      const sent = await bob.sendMessage(await tokenOf(bob, "alice-bob"), { type: "text", data: "still there?" });
      assert.equal((await pushed).message.messageId, sent.messageId);

      // An expired token is refreshed before connecting.
      const expired = signToken({ userId: "alice", exp: now() - 3600 });
      const again = await open(demo.url, undefined, { userToken: expired, refreshToken });
      assert.equal(refreshed, 2);
      assert.equal((await again.getThreads()).items.length, 2);
    });
  });
}
