// A chat backend built only with ecb-backend, for the end-to-end tests: the
// demo's users (accessToken = user id) and, in memory, threads and messages in
// the demo backend's shape. It counts what it stores so tests can check that
// resends are stored once.
import { BackendError, backendHandler } from "../dist/esm/index.js";

export const USERS = ["alice", "bob", "carol", "dave"].map((userId) => ({ userId, displayName: userId[0].toUpperCase() + userId.slice(1) }));

/** `{handler, threads, messages, stores}`: the handler to serve, and the app's memory. */
export function chatApp({ tokens, webhookSecret }) {
  const threads = new Map([["welcome", { threadId: "welcome", memberIds: USERS.map((u) => u.userId), data: { title: "Welcome" } }]]);
  const messages = new Map([["welcome", []]]);
  const app = { threads, messages, stores: 0, read: [], undelivered: [] };
  let counter = 0;

  const store = (threadId, senderId, { clientMessageId, type, data }) => {
    app.stores += 1;
    const message = { messageId: `m${++counter}`, threadId, senderId, type, data, createdAt: Date.now() };
    if (clientMessageId) message.clientMessageId = clientMessageId;
    messages.get(threadId).push(message);
    return message;
  };
  const memberThread = ({ threadId, user }) => {
    const thread = threads.get(threadId);
    if (!thread) throw BackendError.notFound("no such thread");
    if (!thread.memberIds.includes(user.userId)) throw BackendError.forbidden("not a member of this thread");
    return thread;
  };

  app.store = store;
  app.handler = backendHandler({
    tokens,
    webhookSecret,
    getUserToken: ({ accessToken }) => USERS.find((u) => u.userId === accessToken),
    getContacts: ({ user }) => USERS.filter((u) => u.userId !== user.userId),
    getThreads: ({ user }) => [...threads.values()].filter((t) => t.memberIds.includes(user.userId)),
    createThread: async ({ user, memberIds, data, message }) => {
      await new Promise((resolve) => setTimeout(resolve, 20)); // a database's latency: resends overlap
      const ids = [...new Set([user.userId, ...memberIds])];
      if (!ids.every((id) => USERS.some((u) => u.userId === id))) throw new BackendError("unknown_user", "no such user", 422);
      const thread = { threadId: `t${++counter}`, memberIds: ids, data: data ?? null };
      threads.set(thread.threadId, thread);
      messages.set(thread.threadId, []);
      return { thread, messages: [store(thread.threadId, user.userId, message)] };
    },
    getThread: (call) => ({ thread: memberThread(call), messages: messages.get(call.threadId).slice(-50) }),
    addThreadMessage: async (call) => {
      const thread = memberThread(call);
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { thread, messages: [store(call.threadId, call.user.userId, call.message)] };
    },
    getThreadMessages: (call) => {
      const all = messages.get(memberThread(call).threadId);
      const after = call.after === undefined ? -1 : all.findIndex((m) => m.messageId === call.after);
      if (after === -1 && call.after !== undefined) throw new BackendError("unknown_message", "no such message", 404);
      const rest = all.slice(after + 1);
      return { messages: rest.slice(0, call.pageSize ?? 50), hasMore: rest.length > (call.pageSize ?? 50) };
    },
    markRead: (call) => {
      const thread = memberThread(call);
      if (!messages.get(thread.threadId).some((m) => m.messageId === call.messageId)) {
        throw new BackendError("unknown_message", "no such message", 404);
      }
      app.read.push([call.user.userId, thread.threadId, call.messageId]);
    },
    notifyUndelivered: ({ threadId, messageId, userIds }) => {
      app.undelivered.push({ threadId, messageId, userIds: [...userIds].sort() });
    },
  });
  return app;
}
