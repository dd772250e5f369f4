// The Backend API handler on its own (calls made as ECB makes them): routing,
// signatures, the Bearer check, callbacks, threadToken signing, paging,
// idempotency, error bodies, and the node:http, Express and fetch adapters.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import express from "express";
import Fastify from "fastify";
import { BackendError, TokenSigner, Webhook, backendHandler } from "../dist/esm/index.js";
import { claimsOf, keyPair, listen, post } from "./support.mjs";

const key = keyPair("k1");
const tokens = new TokenSigner({ keys: key });
const SECRET = "whsec_" + Buffer.from("a test secret of 32 bytes, here!").toString("base64");
const webhook = new Webhook(SECRET);
const alice = tokens.userToken({ userId: "alice", displayName: "Alice" });

/** Calls `operation` of a backend as ECB does: signed, with alice's Bearer, and any extra headers. */
function ecbCall(url, operation, body, { headers = {}, sign = true, token = alice } = {}) {
  const text = JSON.stringify(body);
  const all = { ...(sign ? webhook.headers(text) : {}), ...headers };
  if (token) all.authorization = `Bearer ${token}`;
  return post(`${url}/${operation}`, text, all);
}

describe("backendHandler", () => {
  const errors = [];
  const calls = { addThreadMessage: 0 };
  let server;
  before(async () => {
    const handler = backendHandler({
      tokens,
      webhookSecret: SECRET,
      onError: (error, context) => errors.push([context.operation, error.message]),
      getUserToken: ({ accessToken }) => (accessToken === "alice" ? { userId: "alice", displayName: "Alice" } : null),
      getContacts: ({ user }) => ["bob", "carol", "dave", "erin"].filter((u) => u !== user.userId).map((userId) => ({ userId })),
      getThreads: ({ paging }) => ({ ...paging, items: [{ threadId: "t1", memberIds: ["alice", "bob"] }], previousPage: null, nextPage: null, total: 1 }),
      getThread: ({ threadId, user }) => {
        if (threadId === "gone") throw new BackendError("archived", "this thread is archived", 409);
        if (threadId === "crash") throw new Error("database password is hunter2");
        if (threadId === "http-errors") throw Object.assign(new Error("nope"), { status: 418, code: "teapot" });
        if (threadId === "bad") return { thread: { memberIds: [] }, messages: [] };
        return { thread: { threadId, memberIds: ["alice", "bob"], data: { title: "Hi" } }, messages: [], seenBy: user };
      },
      addThreadMessage: async ({ threadId, message, user }, context) => {
        calls.addThreadMessage += 1;
        await new Promise((resolve) => setTimeout(resolve, 30));
        const stored = { messageId: `m${calls.addThreadMessage}`, threadId, senderId: user.userId, ...message };
        return { thread: { threadId, memberIds: ["alice", "bob"], threadToken: `kept-${context.idempotencyKey}` }, messages: [stored] };
      },
      markRead: () => undefined,
      notifyUndelivered: ({ userIds }) => {
        calls.notified = userIds;
      },
    });
    server = await listen(handler);
  });
  after(() => server.close());

  test("getUserToken signs a userToken for the user the callback names, and refuses an unknown accessToken", async () => {
    const { status, body } = await ecbCall(server.url, "getUserToken", { accessToken: "alice" }, { token: null });
    assert.equal(status, 200);
    assert.deepEqual(
      [claimsOf(body.userToken).userId, claimsOf(body.userToken).displayName, tokens.verifyUserToken(body.userToken).userId],
      ["alice", "Alice", "alice"],
    );
    const refused = await ecbCall(server.url, "getUserToken", { accessToken: "mallory" }, { token: null });
    assert.deepEqual([refused.status, refused.body], [401, { error: { code: "unauthorized", message: "unknown accessToken" } }]);
  });

  test("lists: a whole list is paged, a page passes through with its threads signed", async () => {
    const contacts = await ecbCall(server.url, "getContacts", { pageStartIndex: 1, pageSize: 2, user: { userId: "alice" } });
    assert.deepEqual(contacts.body, {
      pageStartIndex: 1,
      pageSize: 2,
      items: [{ userId: "carol" }, { userId: "dave" }],
      previousPage: { pageStartIndex: 0, pageSize: 2 },
      nextPage: { pageStartIndex: 3, pageSize: 2 },
    });
    const threads = await ecbCall(server.url, "getThreads", { user: { userId: "alice" } });
    assert.equal(threads.body.total, 1, "the callback's own fields pass through");
    assert.deepEqual(tokens.verifyThreadToken(threads.body.items[0].threadToken).memberIds, ["alice", "bob"]);
    const bad = await ecbCall(server.url, "getContacts", { pageSize: 0 });
    assert.deepEqual([bad.status, bad.body.error.code], [400, "bad_request"]);
  });

  test("getThread signs the thread's token; `user` is the verified Bearer's claims", async () => {
    const { status, body } = await ecbCall(server.url, "getThread", {
      threadId: "t7",
      threadToken: "x",
      user: { userId: "mallory" }, // the body's user is not trusted over the verified token
    });
    assert.equal(status, 200);
    assert.deepEqual(body.thread.data, { title: "Hi" });
    const claims = tokens.verifyThreadToken(body.thread.threadToken);
    assert.deepEqual([claims.threadId, claims.memberIds], ["t7", ["alice", "bob"]]);
    assert.deepEqual(body.seenBy, { userId: "alice", displayName: "Alice" });
  });

  test("a thrown BackendError (or http-errors style error) is its 4xx and error body; anything else is a 500 that leaks nothing", async () => {
    const gone = await ecbCall(server.url, "getThread", { threadId: "gone" });
    assert.deepEqual([gone.status, gone.body], [409, { error: { code: "archived", message: "this thread is archived" } }]);
    const teapot = await ecbCall(server.url, "getThread", { threadId: "http-errors" });
    assert.deepEqual([teapot.status, teapot.body], [418, { error: { code: "teapot", message: "nope" } }]);
    const crash = await ecbCall(server.url, "getThread", { threadId: "crash" });
    assert.deepEqual([crash.status, crash.body], [500, { error: { code: "internal", message: "internal error" } }]);
    assert.doesNotMatch(JSON.stringify(crash.body), /hunter2/);
    const bad = await ecbCall(server.url, "getThread", { threadId: "bad" });
    assert.equal(bad.status, 500);
    assert.deepEqual(errors.map(([operation]) => operation), ["getThread", "getThread"]);
    assert.match(errors[1][1], /getThread callback returned a thread without a string threadId/);
    assert.throws(() => new BackendError("x", "y", 500), /4xx/);
  });

  test("unsigned, tampered, wrongly signed, stale and replayed calls get 401 bad_signature", async () => {
    const body = { threadId: "t1" };
    const text = JSON.stringify(body);
    const signed = webhook.headers(text);
    const stale = new Webhook(SECRET, { now: () => Date.now() - 301_000 }).headers(text);
    const wrong = new Webhook("whsec_" + Buffer.from("not the secret").toString("base64")).headers(text);
    const auth = { authorization: `Bearer ${alice}` };
    for (const [headers, sent, why] of [
      [{}, text, /missing/],
      [signed, JSON.stringify({ threadId: "t2" }), /no matching/],
      [wrong, text, /no matching/],
      [stale, text, /too old/],
    ]) {
      const { status, body: answer } = await post(`${server.url}/getThread`, sent, { ...headers, ...auth });
      assert.equal(status, 401);
      assert.equal(answer.error.code, "bad_signature");
      assert.match(answer.error.message, why);
    }
    assert.equal((await post(`${server.url}/getThread`, text, { ...signed, ...auth })).status, 200);
    const replay = await post(`${server.url}/getThread`, text, { ...signed, ...auth });
    assert.deepEqual([replay.status, replay.body.error.message], [401, "webhook-id was already used"]);
  });

  test("a missing or foreign Bearer userToken is 401 unauthorized", async () => {
    const none = await ecbCall(server.url, "getThread", { threadId: "t1" }, { token: null });
    assert.deepEqual([none.status, none.body.error.code], [401, "unauthorized"]);
    const foreign = new TokenSigner({ keys: keyPair("k1") }).userToken({ userId: "alice" });
    const refused = await ecbCall(server.url, "getThread", { threadId: "t1" }, { token: foreign });
    assert.deepEqual([refused.status, refused.body.error.code], [401, "unauthorized"]);
  });

  test("a repeated Idempotency-Key runs addThreadMessage once, even when the repeat comes while the first runs", async () => {
    const body = { threadId: "t1", message: { clientMessageId: "c-1", type: "text", data: "hi" } };
    const headers = { "idempotency-key": "c-1" };
    const [first, second] = await Promise.all([
      ecbCall(server.url, "addThreadMessage", body, { headers }),
      ecbCall(server.url, "addThreadMessage", body, { headers }),
    ]);
    const third = await ecbCall(server.url, "addThreadMessage", body, { headers });
    assert.equal(calls.addThreadMessage, 1);
    assert.deepEqual(second.body, first.body);
    assert.deepEqual(third.body, first.body);
    assert.equal(first.body.thread.threadToken, "kept-c-1", "a threadToken the callback signed is kept");
    // Another user's same key, or no key, is another message.
    const bob = tokens.userToken({ userId: "bob" });
    await ecbCall(server.url, "addThreadMessage", body, { headers, token: bob });
    await ecbCall(server.url, "addThreadMessage", body);
    assert.equal(calls.addThreadMessage, 3);
  });

  test("v1.1 operations: markRead answers {}, notifyUndelivered needs no user, an absent callback is 404", async () => {
    const read = await ecbCall(server.url, "markRead", { threadId: "t1", messageId: "m1" });
    assert.deepEqual([read.status, read.body], [200, {}]);
    const notified = await ecbCall(server.url, "notifyUndelivered", { threadId: "t1", messageId: "m1", userIds: ["bob"] }, { token: null });
    assert.deepEqual([notified.status, notified.body, calls.notified], [200, {}, ["bob"]]);
    const absent = await ecbCall(server.url, "getThreadMessages", { threadId: "t1" });
    assert.deepEqual([absent.status, absent.body], [404, { error: { code: "unknown_operation", message: "this backend does not implement getThreadMessages" } }]);
    const createThread = await ecbCall(server.url, "createThread", { memberIds: [], message: {} });
    assert.equal(createThread.status, 404);
  });

  test("paths that are no operation, methods other than POST, bodies that are not JSON objects or too big", async () => {
    const unknown = await ecbCall(server.url, "dropTables", {});
    assert.deepEqual([unknown.status, unknown.body.error.code], [404, "unknown_operation"]);
    const get = await fetch(`${server.url}/getThread`);
    assert.deepEqual([get.status, get.headers.get("allow")], [405, "POST"]);
    for (const text of ["[1]", "{not json"]) {
      const answer = await post(`${server.url}/getThread`, text, webhook.headers(text));
      assert.deepEqual([answer.status, answer.body.error.code], [400, "bad_json"]);
    }
    const big = JSON.stringify({ data: "x".repeat(1024 * 1024) });
    const tooBig = await post(`${server.url}/getThread`, big, webhook.headers(big));
    assert.deepEqual([tooBig.status, tooBig.body.error.code], [413, "payload_too_large"]);
  });
});

describe("backendHandler in frameworks and other models", () => {
  test("as Express middleware under a path: other paths go on; a JSON parser mounted first is reported", async () => {
    const reported = [];
    const options = {
      tokens,
      onError: (error) => reported.push(error.message),
      getThread: ({ threadId }) => ({ thread: { threadId, memberIds: ["alice"] }, messages: [] }),
    };
    const app = express();
    app.use("/ecb", backendHandler({ ...options, webhookSecret: SECRET }));
    app.get("/ecb/health", (_req, res) => res.json({ ok: true }));
    app.use("/parsed", express.json(), backendHandler({ ...options, webhookSecret: SECRET }));
    app.use("/parsed-unsigned", express.json(), backendHandler(options));
    const server = await listen(app);
    try {
      const answer = await ecbCall(server.url + "/ecb", "getThread", { threadId: "t1" });
      assert.equal(answer.status, 200);
      assert.equal(tokens.verifyThreadToken(answer.body.thread.threadToken).threadId, "t1");
      assert.deepEqual((await (await fetch(`${server.url}/ecb/health`)).json()), { ok: true });
      const parsed = await ecbCall(server.url + "/parsed", "getThread", { threadId: "t1" });
      assert.equal(parsed.status, 500);
      assert.match(parsed.body.error.message, /before express\.json\(\)/);
      assert.match(reported[0], /before express\.json\(\)/, "and the application hears of it");
      const unsigned = await ecbCall(server.url + "/parsed-unsigned", "getThread", { threadId: "t1" }, { sign: false });
      assert.equal(unsigned.status, 200, "without a secret a parsed body will do");
    } finally {
      await server.close();
    }
  });

  test("in Fastify, through handle() with the raw body", async () => {
    const handler = backendHandler({ tokens, webhookSecret: SECRET, markRead: () => undefined });
    const fastify = Fastify();
    fastify.addContentTypeParser("application/json", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
    fastify.post("/ecb/:operation", async (request, reply) => {
      const answer = await handler.handle({ operation: request.params.operation, headers: request.headers, body: request.body });
      reply.code(answer.status).headers(answer.headers).send(answer.body);
    });
    const url = await fastify.listen({ host: "127.0.0.1", port: 0 });
    try {
      const read = await ecbCall(`${url}/ecb`, "markRead", { threadId: "t1", messageId: "m1" });
      assert.deepEqual([read.status, read.body], [200, {}]);
      const unsigned = await ecbCall(`${url}/ecb`, "markRead", { threadId: "t1", messageId: "m1" }, { sign: false });
      assert.deepEqual([unsigned.status, unsigned.body.error.code], [401, "bad_signature"]);
    } finally {
      await fastify.close();
    }
  });

  test("threadMembers signs threads of another model (original ECB `members: [{userId}]`); handle() and fetch() serve other servers", async () => {
    const handler = backendHandler({
      tokens,
      verifyUserTokens: false,
      threadMembers: (thread) => thread.members.map((m) => m.userId),
      getThreads: () => [{ threadId: "t1", members: [{ userId: "alice" }, { userId: "bob" }], lastMessageTime: "2026-01-01T00:00:00Z" }],
    });
    const body = JSON.stringify({ user: { userId: "alice" } });
    const answer = await handler.handle({ operation: "getThreads", headers: {}, body });
    assert.equal(answer.status, 200);
    const [thread] = JSON.parse(answer.body).items;
    assert.equal(thread.lastMessageTime, "2026-01-01T00:00:00Z");
    assert.deepEqual(tokens.verifyThreadToken(thread.threadToken).memberIds, ["alice", "bob"]);
    const response = await handler.fetch(new Request("http://backend/ecb/getThreads", { method: "POST", body }));
    assert.equal(response.status, 200);
    assert.equal((await response.json()).items[0].threadId, "t1");
    // With verification off, `user` must still be there.
    const noUser = await handler.handle({ operation: "getThreads", headers: {}, body: "{}" });
    assert.equal(noUser.status, 400);
    // A thread with no members to sign is the application's bug: 500, logged.
    const logged = [];
    const broken = backendHandler({ tokens, verifyUserTokens: false, onError: (e) => logged.push(e.message), getThreads: () => [{ threadId: "t1" }] });
    assert.equal((await broken.handle({ operation: "getThreads", headers: {}, body })).status, 500);
    assert.match(logged[0], /without memberIds: return them or pass the threadMembers option/);
  });
});
