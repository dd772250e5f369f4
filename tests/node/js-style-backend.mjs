// A customer backend written the way a JavaScript team writes one: it stores
// `createdAt: new Date()` (JSON: an ISO 8601 string), names the author
// `userId`, keeps nested extras and nulls, and answers with whatever its own
// models hold. ECB must hand all of it to clients unchanged.
import { createServer } from "node:http";
import { once } from "node:events";
import { generateKeyPairSync, randomUUID, sign } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const b64url = (data) => Buffer.from(data).toString("base64url");

/** Starts the backend on a free loopback port with a fresh RS256 key. */
export async function startJsStyleBackend() {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const keyDir = mkdtempSync(path.join(tmpdir(), "ecb-js-backend-"));
  const publicKeyFile = path.join(keyDir, "js-2026.pem");
  writeFileSync(publicKeyFile, publicKey.export({ type: "spki", format: "pem" }));
  const jwt = (claims) => {
    const header = b64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid: "js-2026" }));
    const body = b64url(JSON.stringify({ ...claims, exp: Math.floor(Date.now() / 1000) + 3600 }));
    return `${header}.${body}.${sign("sha256", Buffer.from(`${header}.${body}`), privateKey).toString("base64url")}`;
  };

  const threads = new Map();
  /** Every message exactly as this backend stored and sent it (JSON text). */
  const sent = [];
  const threadJson = (t) => ({
    id: t.threadId, // its own id field, beside the one ECB reads
    threadId: t.threadId,
    title: t.title,
    participants: t.members.map((userId) => ({ userId, joinedAt: t.createdAt })),
    createdAt: t.createdAt,
    archived: null,
    threadToken: jwt({ threadId: t.threadId, memberIds: t.members }),
  });
  const store = (thread, user, message) => {
    const stored = {
      messageId: randomUUID(),
      threadId: thread.threadId,
      userId: user.userId,
      author: { userId: user.userId, name: user.displayName ?? null },
      body: message.data,
      kind: message.type,
      clientMessageId: message.clientMessageId ?? null,
      createdAt: new Date(),
      reactions: {},
    };
    thread.messages.push(stored);
    sent.push(JSON.stringify(stored));
    return stored;
  };
  const operations = {
    getUserToken: ({ accessToken }) => ({
      userToken: jwt({ userId: accessToken, displayName: accessToken.toUpperCase() }),
    }),
    getContacts: () => [
      { userId: "bob", email: "bob@example.com", lastSeen: new Date(0) },
      { userId: "carol", email: null, tags: ["a", { nested: true }] },
    ],
    getThreads: ({ user }) => [...threads.values()].filter((t) => t.members.includes(user.userId)).map(threadJson),
    createThread: ({ user, memberIds, data, message }) => {
      const threadId = `js-${threads.size + 1}`;
      const thread = { threadId, title: data?.title ?? null, members: [user.userId, ...memberIds], createdAt: new Date(), messages: [] };
      threads.set(threadId, thread);
      const first = store(thread, user, message);
      return { thread: threadJson(thread), messages: [first] };
    },
    getThread: ({ threadId }) => {
      const thread = threads.get(threadId);
      return { thread: threadJson(thread), messages: thread.messages, unread: 0 };
    },
    addThreadMessage: ({ user, threadId, message }) => {
      const thread = threads.get(threadId);
      return { thread: threadJson(thread), messages: [store(thread, user, message)] };
    },
  };

  const server = createServer(async (req, res) => {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    const operation = operations[req.url.slice(1)];
    if (!operation) {
      res.writeHead(404, { "content-type": "application/json" });
      return res.end(JSON.stringify({ error: { code: "not_found", message: req.url } }));
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(operation(JSON.parse(raw))));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    publicKeyFile,
    jwt,
    /** The JSON text of the latest stored message. */
    lastSent: () => sent.at(-1),
    close: () => server.close(),
  };
}
