// Compiled (not run) by types.test.mjs: an application's own models through
// the handler's generics, as a TypeScript user of the ESM build writes them.
import http from "node:http";
import {
  BackendError,
  ServerApi,
  TokenSigner,
  backendHandler,
  type BackendHandler,
  type IdempotencyStore,
  type Page,
  type ThreadAndMessages,
} from "ecb-backend";

interface Member { userId: string; role: "owner" | "guest" }
interface MyUser { userId: string; displayName: string; avatarUrl: string }
interface MyThread { threadId: string; members: Member[]; lastMessageTime: string; threadToken?: string }
interface MyMessage { messageId: string; threadId: string; fromUserId: string; creationTime: string; body: string }

const tokens = new TokenSigner({ keys: { kid: "k", privateKey: "-----BEGIN PRIVATE KEY-----" } });
const threads: MyThread[] = [];
const store: IdempotencyStore = { get: async () => undefined, set: async () => {} };

const handler: BackendHandler = backendHandler<MyUser, MyThread, MyMessage>({
  tokens,
  idempotency: { store, ttlMs: 1000 },
  threadMembers: (thread) => thread.members.map((m) => m.userId),
  getUserToken: ({ accessToken }) => ({ userId: accessToken, displayName: "A", avatarUrl: "/a.png" }),
  getContacts: ({ paging }): Page<MyUser> => ({ ...paging, items: [], previousPage: null, nextPage: null }),
  getThreads: ({ user }) => threads.filter((t) => t.members.some((m) => m.userId === user.userId)),
  getThread: ({ threadId }): ThreadAndMessages<MyThread, MyMessage> => {
    const thread = threads.find((t) => t.threadId === threadId);
    if (!thread) throw BackendError.notFound("no such thread");
    return { thread, messages: [] };
  },
  addThreadMessage: async ({ threadId, message, user }, { idempotencyKey }) => {
    const thread = threads[0]!;
    const stored: MyMessage = { messageId: idempotencyKey ?? "m", threadId, fromUserId: user.userId, creationTime: "", body: String(message.data) };
    return { thread, messages: [stored] };
  },
  getThreadMessages: async ({ after, pageSize }) => ({ messages: [] as MyMessage[], hasMore: Boolean(after && pageSize) }),
  markRead: async ({ messageId }) => void messageId,
  notifyUndelivered: ({ userIds }) => void userIds,
});
http.createServer(handler).listen(0);

const ecb = new ServerApi({ url: "http://127.0.0.1:8080", tokens });
const announcement: MyMessage = { messageId: "m1", threadId: "t1", fromUserId: "bot", creationTime: "", body: "hi" };
const delivered: number = (await ecb.publish("t1", announcement)).delivered;
const online: string[] = (await ecb.getPresence("t1")).userIds;
const me: MyUser = { userId: "alice", displayName: "Alice", avatarUrl: "/a.png" };
const userToken: string = tokens.userToken(me);
void [delivered, online, userToken];
