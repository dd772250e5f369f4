// End to end: a backend built only with ecb-backend (test/chat-app.mjs) behind
// the real `ecb` binary, driven by ecb-client users and by the server API.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { connect } from "ecb-client";
import { EcbError, ServerApi, TokenSigner, Webhook, backendHandler } from "../dist/esm/index.js";
import { chatApp } from "./chat-app.mjs";
import { claimsOf, freePort, headerOf, keyPair, listen, nextEvent, post, rest, startEcb, tempDir, waitFor, writeKeyFiles } from "./support.mjs";

const SECRET = "whsec_" + Buffer.from("the secret ECB and the backend share").toString("base64");
const oldKey = keyPair("2026-11");
const newKey = keyPair("2026-12");

describe("ecb-backend behind the real ecb", () => {
  const tokens = new TokenSigner({ keys: oldKey });
  const app = chatApp({ tokens, webhookSecret: SECRET });
  const clients = [];
  const stops = [];
  let keys, backend, ecb, server;
  const open = async (options) => {
    const client = await connect({ url: ecb.url, ...options });
    clients.push(client);
    return client;
  };
  const tokenOf = async (client, threadId) => (await client.getThreads()).items.find((t) => t.threadId === threadId).threadToken;

  before(async () => {
    keys = tempDir();
    backend = await listen(app.handler);
    // ECB knows both keys: the current one and the one the backend rotates to.
    ecb = await startEcb({
      backendUrl: backend.url,
      keyFiles: writeKeyFiles(keys.dir, [oldKey, newKey]),
      secret: SECRET,
      args: ["--notify-undelivered", "true"],
    });
    server = new ServerApi({ url: ecb.url, tokens });
  });
  after(async () => {
    clients.forEach((c) => c.close());
    for (const stop of [...stops, ecb?.stop, backend?.close]) await stop?.();
    keys?.remove();
  });

  test("users sign in, list contacts and threads, create and open threads, and chat", async () => {
    const alice = await open({ accessToken: "alice" });
    const bob = await open({ accessToken: "bob" });
    const contacts = await alice.getContacts({ pageStartIndex: 0, pageSize: 2 });
    assert.deepEqual(contacts.items.map((u) => u.userId), ["bob", "carol"]);
    assert.deepEqual(contacts.nextPage, { pageStartIndex: 2, pageSize: 2 });
    assert.equal(contacts.items[0].displayName, "Bob");
    assert.deepEqual((await alice.getThreads()).items.map((t) => t.threadId), ["welcome"]);

    const created = await alice.createThread({ memberIds: ["bob"], data: { title: "Lunch" }, message: { type: "text", data: "noon?" } });
    assert.deepEqual(created.thread.memberIds, ["alice", "bob"]);
    assert.deepEqual(created.thread.data, { title: "Lunch" });
    assert.equal(created.messages[0].senderId, "alice");
    const { threadId } = created.thread;
    assert.deepEqual(tokens.verifyThreadToken(created.thread.threadToken).memberIds, ["alice", "bob"]);

    const opened = await bob.getThread(await tokenOf(bob, threadId));
    assert.deepEqual(opened.messages.map((m) => m.data), ["noon?"]);
    const toBob = nextEvent(bob, "message", (p) => p.threadId === threadId);
    const ack = await alice.sendMessage(created.thread.threadToken, { type: "text", data: "at the usual place" });
    assert.deepEqual([ack.senderId, ack.threadId, ack.data], ["alice", threadId, "at the usual place"]);
    assert.deepEqual(await toBob, { threadId, message: ack });
    const toAlice = nextEvent(alice, "message", (p) => p.threadId === threadId);
    const reply = await bob.sendMessage(opened.thread.threadToken, { type: "text", data: "see you" });
    assert.deepEqual((await toAlice).message, reply);
    assert.deepEqual(app.messages.get(threadId).map((m) => m.data), ["noon?", "at the usual place", "see you"]);

    // The backend's refusal reaches the client with its code.
    const carol = await open({ accessToken: "carol" });
    const err = await carol.createThread({ memberIds: ["nobody"], message: { type: "text", data: "x" } }).catch((e) => e);
    assert.deepEqual([err.code, err.backend], ["backend_rejected", { code: "unknown_user", message: "no such user" }]);
  });

  test("history, read receipts and offline notification reach the app's callbacks", async () => {
    const alice = await open({ accessToken: "alice" });
    const bob = await open({ accessToken: "bob" });
    const token = await tokenOf(alice, "welcome");
    await alice.getThread(token);
    await bob.getThread(await tokenOf(bob, "welcome"));
    const before = app.undelivered.length;
    const first = await alice.sendMessage(token, { type: "text", data: "one" });
    const second = await alice.sendMessage(token, { type: "text", data: "two" });
    const page = await bob.getMessages(token, { after: first.messageId });
    assert.deepEqual([page.messages.map((m) => m.messageId), page.hasMore], [[second.messageId], false]);
    const unknown = await bob.getMessages(token, { after: "nope" }).catch((e) => e);
    assert.equal(unknown.backend.code, "unknown_message");

    const read = nextEvent(alice, "read");
    await bob.markRead(token, second.messageId);
    assert.deepEqual(await read, { threadId: "welcome", userId: "bob", messageId: second.messageId });
    assert.deepEqual(app.read.at(-1), ["bob", "welcome", second.messageId]);

    // carol and dave have no connection in the thread: the app hears of both messages.
    await waitFor(() => app.undelivered.length >= before + 2, 5000, "the notifications");
    assert.deepEqual(app.undelivered.slice(before), [
      { threadId: "welcome", messageId: first.messageId, userIds: ["carol", "dave"] },
      { threadId: "welcome", messageId: second.messageId, userIds: ["carol", "dave"] },
    ]);
  });

  test("signatures are checked: unsigned, tampered, wrongly signed and replayed old calls are refused", async () => {
    const body = JSON.stringify({ accessToken: "alice" });
    const url = `${backend.url}/getUserToken`;
    const signed = new Webhook(SECRET).headers(body);
    assert.equal((await post(url, body, signed)).status, 200);
    const refusals = [
      await post(url, body),
      await post(url, JSON.stringify({ accessToken: "bob" }), new Webhook(SECRET).headers(body)),
      await post(url, body, new Webhook("whsec_" + Buffer.from("a guess").toString("base64")).headers(body)),
      await post(url, body, new Webhook(SECRET, { now: () => Date.now() - 10 * 60_000 }).headers(body)),
      await post(url, body, signed),
    ];
    assert.deepEqual(refusals.map((r) => [r.status, r.body.error.code]), Array(5).fill([401, "bad_signature"]));

    // An ECB with the wrong secret: every call is refused and the client is told why.
    const wrong = await startEcb({
      backendUrl: backend.url,
      keyFiles: writeKeyFiles(keys.dir, [oldKey]),
      secret: "whsec_" + Buffer.from("not the backend's secret").toString("base64"),
    });
    stops.push(wrong.stop);
    const { status, body: envelope } = await rest(wrong.url, "getUserToken", { accessToken: "alice" });
    assert.equal(status, 401);
    assert.equal(envelope.error.code, "backend_rejected");
    assert.equal(envelope.error.backend.code, "bad_signature");
    // The right ECB, signed: fine.
    assert.equal((await rest(ecb.url, "getUserToken", { accessToken: "alice" })).status, 200);
  });

  test("resends with the same clientMessageId are stored once, even when they overlap", async () => {
    const userToken = (await rest(ecb.url, "getUserToken", { accessToken: "dave" })).body.result.userToken;
    const threadToken = (await rest(ecb.url, "getThreads", {}, userToken)).body.result.items[0].threadToken;
    const before = app.stores;
    const message = { clientMessageId: "dave-1", type: "text", data: "once" };
    const acks = await Promise.all([1, 2, 3].map(() => rest(ecb.url, "sendMessage", { threadToken, message }, userToken)));
    const again = await rest(ecb.url, "sendMessage", { threadToken, message }, userToken);
    assert.equal(app.stores - before, 1);
    for (const { body } of [...acks, again]) assert.deepEqual(body.result, acks[0].body.result);
    assert.equal(acks[0].body.result.clientMessageId, "dave-1");

    const thread = { memberIds: ["alice"], message: { clientMessageId: "dave-thread-1", type: "text", data: "hi" } };
    const [first, second] = await Promise.all([1, 2].map(() => rest(ecb.url, "createThread", thread, userToken)));
    assert.equal(first.body.result.thread.threadId, second.body.result.thread.threadId);
    assert.equal(app.stores - before, 2);
  });

  test("the server API: publish reaches joined clients; presence; disconnectUser; ECB's errors as typed errors", async () => {
    const alice = await open({ accessToken: "alice" });
    const bob = await open({ accessToken: "bob" });
    await alice.getThread(await tokenOf(alice, "welcome"));
    await bob.getThread(await tokenOf(bob, "welcome"));
    const message = app.store("welcome", "system", { type: "text", data: "maintenance at 6" });
    const pushes = [alice, bob].map((c) => nextEvent(c, "message", (p) => p.message.messageId === message.messageId));
    const { delivered } = await server.publish("welcome", message);
    assert.ok(delivered >= 2, `delivered to ${delivered}`);
    for (const push of await Promise.all(pushes)) assert.deepEqual(push, { threadId: "welcome", message });

    const presence = await server.getPresence("welcome");
    assert.equal(presence.threadId, "welcome");
    assert.ok(["alice", "bob"].every((u) => presence.userIds.includes(u)));

    const carol = await open({ accessToken: "carol" });
    const { disconnected } = await server.disconnectUser("carol");
    assert.ok(disconnected >= 1);
    await waitFor(() => carol.state !== "connected", 5000, "carol to be disconnected");

    const mismatch = await server.publish("welcome", { ...message, threadId: "elsewhere" }).catch((e) => e);
    assert.ok(mismatch instanceof EcbError);
    assert.deepEqual([mismatch.code, mismatch.status], ["bad_request", 400]);
    const stranger = new ServerApi({ url: ecb.url, tokens: new TokenSigner({ keys: keyPair("2026-11") }) });
    const refused = await stranger.getPresence("welcome").catch((e) => e);
    assert.deepEqual([refused.code, refused.status], ["unauthorized", 401]);
    const down = await new ServerApi({ url: `http://127.0.0.1:${await freePort()}`, tokens }).getPresence("welcome").catch((e) => e);
    assert.equal(down.code, "connect_failed");
  });

  test("key rotation: after rotate() new tokens carry the new kid, and the old key's tokens still work", async () => {
    const before = (await rest(ecb.url, "getUserToken", { accessToken: "alice" })).body.result.userToken;
    assert.equal(headerOf(before).kid, "2026-11");
    tokens.rotate(newKey);
    const after = (await rest(ecb.url, "getUserToken", { accessToken: "alice" })).body.result.userToken;
    assert.equal(headerOf(after).kid, "2026-12");
    for (const userToken of [before, after]) {
      const client = await open({ userToken });
      const { thread } = await client.getThread(await tokenOf(client, "welcome"));
      assert.equal(headerOf(thread.threadToken).kid, "2026-12");
      await client.sendMessage(thread.threadToken, { type: "text", data: `with ${headerOf(userToken).kid}` });
    }
    assert.equal((await server.getPresence("welcome")).threadId, "welcome", "serverTokens with the new key");
    // Once retired, the old key's tokens are refused by the backend (ECB still knows the key).
    tokens.retire("2026-11");
    const { status, body } = await rest(ecb.url, "getThreads", {}, before);
    assert.equal(status, 401);
    assert.equal(body.error.backend.code, "unauthorized");
  });
});

describe("ecb-backend with ECB_ISSUER and ECB_AUDIENCE", () => {
  test("tokens carry iss and aud, so ECB accepts them; a signer without them is refused", async () => {
    const keys = tempDir();
    const key = keyPair("issued");
    const tokens = new TokenSigner({ keys: key, issuer: "https://chat.example.com", audience: "ecb" });
    const backend = await listen(backendHandler({ tokens, getUserToken: ({ accessToken }) => ({ userId: accessToken }), getContacts: () => [] }));
    const ecb = await startEcb({
      backendUrl: backend.url,
      keyFiles: writeKeyFiles(keys.dir, [key]),
      args: ["--issuer", "https://chat.example.com", "--audience", "ecb"],
    });
    try {
      const userToken = (await rest(ecb.url, "getUserToken", { accessToken: "erin" })).body.result.userToken;
      assert.deepEqual([claimsOf(userToken).iss, claimsOf(userToken).aud], ["https://chat.example.com", "ecb"]);
      assert.deepEqual((await rest(ecb.url, "getContacts", {}, userToken)).body.result.items, []);
      const bare = new TokenSigner({ keys: key }).userToken({ userId: "erin" });
      assert.equal((await rest(ecb.url, "getContacts", {}, bare)).body.error.code, "unauthorized");
    } finally {
      await ecb.stop();
      await backend.close();
      keys.remove();
    }
  });
});
