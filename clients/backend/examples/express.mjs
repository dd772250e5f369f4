// A complete ECB backend on Express: the demo's users (accessToken = user id), threads in memory.
import express from "express";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BackendError, ServerApi, TokenSigner, backendHandler } from "ecb-backend";

const repo = (file) => fileURLToPath(new URL(`../../../${file}`, import.meta.url));
const env = process.env;
const tokens = new TokenSigner({ // ECB trusts the public half as <kid>.pem (ECB_PUBLIC_KEY_FILE)
  keys: { kid: env.KEY_ID ?? "demo", privateKey: readFileSync(env.PRIVATE_KEY_FILE ?? repo("demo/backend/keys/demo.private.pem")) },
});
const ecb = new ServerApi({ url: env.ECB_URL ?? "http://127.0.0.1:8080", tokens });
const users = ["alice", "bob", "carol", "dave"].map((id) => ({ userId: id, displayName: id[0].toUpperCase() + id.slice(1) }));
const threads = new Map([["welcome", { threadId: "welcome", memberIds: ["alice", "bob", "carol", "dave"], data: { title: "Welcome" } }]]);
const messages = new Map([["welcome", []]]);
let counter = 0;

function store(threadId, senderId, { clientMessageId, type, data }) {
  const message = { messageId: `m${++counter}`, threadId, senderId, clientMessageId, type, data, createdAt: Date.now() };
  messages.get(threadId).push(message);
  return message;
}
function memberThread({ threadId, user }) {
  const thread = threads.get(threadId);
  if (!thread) throw BackendError.notFound("no such thread");
  if (!thread.memberIds.includes(user.userId)) throw BackendError.forbidden("not a member of this thread");
  return thread;
}

const app = express();
app.use("/ecb", backendHandler({ // ECB_BACKEND_URL=http://127.0.0.1:8081/ecb
  tokens,
  webhookSecret: env.ECB_BACKEND_SECRET, // the same whsec_… as ECB's; unset: unsigned calls
  getUserToken: ({ accessToken }) => users.find((u) => u.userId === accessToken), // check your session here
  getContacts: ({ user }) => users.filter((u) => u.userId !== user.userId),
  getThreads: ({ user }) => [...threads.values()].filter((t) => t.memberIds.includes(user.userId)),
  createThread: ({ user, memberIds, data, message }) => {
    const ids = [...new Set([user.userId, ...memberIds])];
    if (!ids.every((id) => users.some((u) => u.userId === id))) throw new BackendError("unknown_user", "no such user", 422);
    const thread = { threadId: `t${++counter}`, memberIds: ids, data };
    threads.set(thread.threadId, thread);
    messages.set(thread.threadId, []);
    return { thread, messages: [store(thread.threadId, user.userId, message)] };
  },
  getThread: (call) => ({ thread: memberThread(call), messages: messages.get(call.threadId).slice(-50) }),
  addThreadMessage: (call) => ({ thread: memberThread(call), messages: [store(call.threadId, call.user.userId, call.message)] }),
}));
// A message from outside the chat (a bot, an email), pushed to whoever has the thread open:
app.post("/announce", express.json(), async (req, res) => {
  res.json(await ecb.publish("welcome", store("welcome", "system", { type: "text", data: req.body.text })));
});
// The demo chat page (demo/page) and ecb-client's browser bundle:
app.get("/config.json", (_req, res) => res.json({ ecbUrl: env.ECB_URL ?? "http://127.0.0.1:8080" }));
app.get("/ecb-client.js", (_req, res) => res.sendFile(repo("clients/js/dist/ecb-client.js")));
app.use(express.static(repo("demo/page")));
const server = app.listen(Number(env.PORT ?? 8081), "127.0.0.1", () => {
  console.log(`Backend on http://127.0.0.1:${server.address().port}`);
});
