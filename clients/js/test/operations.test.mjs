// ecb-client against a real `ecb demo`, on both transports: every operation,
// the pushes, and errors with their codes.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import { connect, EcbError, getUserToken } from "../dist/esm/index.js";
import { startServerless } from "../../../tests/node/support.mjs";
import { collect, freePort, nextEvent, now, publish, signToken, sleep, startDemo, waitFor, tokenOf } from "./support.mjs";

// Where the suite runs: the local server on each transport, and the
// serverless stack (API Gateway + Lambda + DynamoDB, run locally) over
// Socket.IO, where stock clients need the stage as path and WebSocket only.
const deployments = [
  { name: "socket.io", transport: "socket.io", start: async () => startDemo(await freePort()) },
  { name: "websocket", transport: "websocket", start: async () => startDemo(await freePort()) },
  {
    name: "socket.io on API Gateway + Lambda",
    transport: "socket.io",
    start: startServerless,
    options: (stack) => ({ socketIoPath: `/${stack.stage}`, socketIoTransports: ["websocket"] }),
  },
];

for (const { name, transport, start, options: optionsFor = () => ({}) } of deployments) {
  describe(`ecb-client over ${name}: operations`, () => {
    let demo;
    let deployment;
    const clients = [];
    const open = async (user, options = {}) => {
      const client = await connect({ url: demo.url, accessToken: user, transport, WebSocket, ...deployment, ...options });
      clients.push(client);
      return client;
    };

    before(async () => {
      demo = await start();
      deployment = optionsFor(demo);
    });
    after(async () => {
      clients.forEach((c) => c.close());
      await demo.stop();
    });

    test("connects with an accessToken or a userToken; getContacts and getThreads page", async () => {
      const alice = await open("alice");
      assert.equal(alice.state, "connected");
      const contacts = await alice.getContacts();
      assert.deepEqual(contacts.items.map((u) => u.userId).sort(), ["bob", "carol", "dave"]);
      const page = await alice.getContacts({ pageStartIndex: 1, pageSize: 1 });
      assert.equal(page.items.length, 1);
      assert.equal(page.pageStartIndex, 1);
      assert.deepEqual(page.previousPage, { pageStartIndex: 0, pageSize: 1 });
      assert.deepEqual(page.nextPage, { pageStartIndex: 2, pageSize: 1 });

      const threads = await alice.getThreads();
      assert.deepEqual(threads.items.map((t) => t.threadId).sort(), ["alice-bob", "welcome"]);
      assert.ok(threads.items.every((t) => typeof t.threadToken === "string"));

      const bob = await open(undefined, { userToken: await getUserToken(demo.url, "bob") });
      assert.equal((await bob.getContacts()).items.length, 3);
    });

    test("getThread, sendMessage, getPresence, setTyping and leaveThread, with their pushes", async () => {
      const alice = await open("alice");
      const bob = await open("bob");
      const token = await tokenOf(alice, "alice-bob");
      const opened = await alice.getThread(token);
      assert.equal(opened.thread.threadId, "alice-bob");
      assert.deepEqual(opened.thread.memberIds, ["alice", "bob"]);
      assert.ok(Array.isArray(opened.messages));

      const bobOnline = nextEvent(alice, "presence", (p) => p.userId === "bob");
      await bob.getThread(await tokenOf(bob, "alice-bob"));
      assert.deepEqual(await bobOnline, { threadId: "alice-bob", userId: "bob", online: true });
      const presence = await alice.getPresence(token);
      assert.equal(presence.threadId, "alice-bob");
      assert.deepEqual([...presence.userIds].sort(), ["alice", "bob"]);

      // sendMessage fills in a clientMessageId; bob gets the stored message pushed.
      const pushed = nextEvent(bob, "message");
      const ack = await alice.sendMessage(token, { type: "text", data: `hello over ${transport}` });
      assert.equal(ack.senderId, "alice");
      assert.equal(ack.threadId, "alice-bob");
      assert.equal(ack.data, `hello over ${transport}`);
      assert.match(ack.clientMessageId, /^[0-9a-f]{32}$/);
      assert.deepEqual(await pushed, { threadId: "alice-bob", message: ack });
      // A clientMessageId given is kept.
      const mine = await alice.sendMessage(token, { type: "text", data: "x", clientMessageId: `own-${transport}` });
      assert.equal(mine.clientMessageId, `own-${transport}`);

      const typing = nextEvent(bob, "typing");
      await alice.setTyping(token, true);
      assert.deepEqual(await typing, { threadId: "alice-bob", userId: "alice", typing: true });

      // An unsubscribed listener hears nothing more; one still on does.
      const heard = [];
      const off = bob.on("message", (m) => heard.push(m));
      off();
      const stillOn = collect(bob, "message");
      await alice.sendMessage(token, { type: "text", data: "after off" });
      await waitFor(() => stillOn.length === 1, undefined, "the push to the listener still on");
      assert.equal(stillOn[0].message.data, "after off");
      assert.deepEqual(heard, []);

      // Once bob leaves the thread, its messages no longer reach him.
      const bobOffline = nextEvent(alice, "presence", (p) => p.userId === "bob" && !p.online);
      await bob.leaveThread(await tokenOf(bob, "alice-bob"));
      assert.deepEqual(await bobOffline, { threadId: "alice-bob", userId: "bob", online: false });
      const afterLeaving = collect(bob, "message");
      await alice.sendMessage(token, { type: "text", data: "bob left" });
      await sleep(300);
      assert.deepEqual(afterLeaving, []);
      // Bob is still connected, just no longer in the thread.
      assert.deepEqual((await bob.getPresence(token)).userIds, ["alice"]);
    });

    test("createThread joins the new thread", async () => {
      const carol = await open("carol");
      const dave = await open("dave");
      const created = await carol.createThread({
        memberIds: ["dave"],
        data: { title: `Carol and Dave over ${transport}` },
        message: { type: "text", data: "hi Dave" },
      });
      assert.deepEqual([...created.thread.memberIds].sort(), ["carol", "dave"]);
      assert.deepEqual(created.thread.data, { title: `Carol and Dave over ${transport}` });
      assert.equal(created.messages.length, 1);
      assert.match(created.messages[0].clientMessageId, /^[0-9a-f]{32}$/);

      const seen = await dave.getThread(created.thread.threadToken);
      assert.deepEqual(seen.messages, created.messages);
      const toCarol = nextEvent(carol, "message");
      const reply = await dave.sendMessage(seen.thread.threadToken, { type: "text", data: "hi Carol" });
      assert.deepEqual((await toCarol).message, reply);
    });

    test("a pushed message already delivered is dropped", async () => {
      const alice = await open("alice");
      const token = await tokenOf(alice, "welcome");
      const { messages } = await alice.getThread(token);
      const heard = collect(alice, "message");
      const message = (id) => ({ messageId: id, threadId: "welcome", senderId: "bot", type: "text", data: id });
      const id = `pub-${transport}`;
      for (let i = 0; i < 3; i++) assert.equal((await publish(demo.url, "welcome", message(id))).ok, true);
      // One the app got with getThread, and one the author got as its ack.
      if (messages.length) await publish(demo.url, "welcome", messages[0]);
      const ack = await alice.sendMessage(token, { type: "text", data: "acked" });
      await publish(demo.url, "welcome", ack);
      await publish(demo.url, "welcome", message(`${id}-end`));
      await waitFor(() => heard.some((m) => m.message.messageId === `${id}-end`));
      assert.deepEqual(
        heard.map((m) => m.message.messageId),
        [id, `${id}-end`],
      );
    });

    test("a failed operation rejects with an EcbError carrying the envelope's code", async () => {
      const alice = await open("alice");
      const carol = await open("carol");
      const aliceBob = await tokenOf(alice, "alice-bob");
      const code = (promise) =>
        promise.then(
          () => assert.fail("should have failed"),
          (error) => {
            assert.ok(error instanceof EcbError);
            assert.equal(typeof error.message, "string");
            return error.code;
          },
        );
      assert.equal(await code(carol.getThread(aliceBob)), "forbidden");
      assert.equal(await code(carol.sendMessage(aliceBob, { type: "text", data: "let me in" })), "forbidden");
      assert.equal(await code(alice.getThread("not-a-token")), "unauthorized");
      assert.equal(await code(alice.getPresence("not.a.token")), "unauthorized");
      const tooLong = { type: "text", data: "x", clientMessageId: "x".repeat(65) };
      assert.equal(await code(alice.sendMessage(aliceBob, tooLong)), "bad_request");
      assert.equal(await code(alice.setTyping(aliceBob, "yes")), "bad_request");
      assert.equal(await code(alice.createThread({ memberIds: [], message: { type: "text", data: "x" } })), "bad_request");

      const refused = await alice
        .createThread({ memberIds: ["mallory"], message: { type: "text", data: "hi" } })
        .catch((e) => e);
      assert.equal(refused.code, "backend_rejected");
      assert.equal(refused.backend.code, "unknown_user");

      // Connecting with a bad token, or an accessToken the backend refuses.
      const badToken = await connect({ url: demo.url, userToken: "garbage", transport, WebSocket, ...deployment }).catch((e) => e);
      assert.ok(badToken instanceof EcbError);
      assert.equal(badToken.code, "unauthorized");
      const expired = signToken({ userId: "alice", exp: now() - 3600 });
      assert.equal(await code(connect({ url: demo.url, userToken: expired, transport, WebSocket, ...deployment })), "unauthorized");
      const badAccess = await connect({ url: demo.url, accessToken: "mallory", transport, WebSocket, ...deployment }).catch((e) => e);
      assert.equal(badAccess.code, "backend_rejected");
      assert.equal(badAccess.backend.code, "bad_access_token");

      // After close, operations reject with `closed`.
      const states = collect(alice, "state");
      alice.close();
      assert.deepEqual(states, ["closed"]);
      assert.equal(await code(alice.getThreads()), "closed");
    });
  });
}
