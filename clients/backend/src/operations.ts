// The Backend API's operations: what each one reads from ECB's call, which
// application callback it runs, and how that callback's answer becomes the
// answer ECB checks (threadTokens signed, lists paged, replies shaped).
import { BackendError } from "./errors.js";
import { toPage, requestedPaging } from "./paging.js";
import type { TokenSigner } from "./tokens.js";
import type {
  AddThreadMessageRequest,
  Awaitable,
  CreateThreadRequest,
  GetThreadMessagesRequest,
  GetUserTokenRequest,
  MarkReadRequest,
  MessageLike,
  MessagesPage,
  NotifyUndeliveredRequest,
  Operation,
  Page,
  PagedRequest,
  RequestBody,
  SignedThread,
  Thread,
  ThreadAndMessages,
  ThreadLike,
  ThreadMessage,
  ThreadRequest,
  User,
  UserLike,
} from "./types.js";
import type { HeaderSource, VerifiedWebhook } from "./webhooks.js";

/** What a callback knows about the call besides its body. */
export interface CallContext {
  operation: Operation;
  /** The call's headers, as the server framework holds them. */
  headers: HeaderSource;
  /** The caller's userToken (the call's Bearer), verified unless `verifyUserTokens` is false. */
  userToken?: string;
  /** The `Idempotency-Key` header: the client's clientMessageId. */
  idempotencyKey?: string;
  /** The verified Standard Webhooks id and timestamp, when a secret is set. */
  webhook?: VerifiedWebhook;
}

/**
 * getUserToken's answer: a user (the handler signs the userToken), a
 * userToken you signed, or nothing to refuse the accessToken (401).
 */
export type UserTokenAnswer<U extends UserLike> = U | string | { userToken: string } | null | undefined;

/**
 * The application's side of the Backend API: one callback per operation, each
 * optional (ECB gets a 404 error body for an operation without one). Throw a
 * BackendError to refuse a call with your own code and message. The generics
 * are your models: ECB reads only ids and tokens and passes the rest through.
 */
export interface BackendCallbacks<
  U extends UserLike = User,
  T extends ThreadLike = Thread,
  M extends MessageLike = ThreadMessage,
> {
  /** Trades your accessToken (your session, cookie, SSO code) for a userToken. */
  getUserToken?: (request: GetUserTokenRequest, context: CallContext) => Awaitable<UserTokenAnswer<U>>;
  /** The caller's contacts: the whole list (the handler cuts `request.paging`) or a page you cut. */
  getContacts?: (request: PagedRequest, context: CallContext) => Awaitable<readonly U[] | Page<U>>;
  /** The caller's threads, whole or paged; threads without a threadToken get one signed. */
  getThreads?: (request: PagedRequest, context: CallContext) => Awaitable<readonly T[] | Page<T>>;
  /** Stores a new thread and its first message. Runs once per Idempotency-Key. */
  createThread?: (request: CreateThreadRequest, context: CallContext) => Awaitable<ThreadAndMessages<T, M>>;
  /** A thread and its recent messages (ECB has checked the threadToken and membership). */
  getThread?: (request: ThreadRequest, context: CallContext) => Awaitable<ThreadAndMessages<T, M>>;
  /** Stores a message; answer the thread and `messages: [the stored message]`. Runs once per Idempotency-Key. */
  addThreadMessage?: (request: AddThreadMessageRequest, context: CallContext) => Awaitable<ThreadAndMessages<T, M>>;
  /** v1.1: a page of messages before or after a messageId, oldest first; throw `unknown_message` (4xx) for an id you do not know. */
  getThreadMessages?: (request: GetThreadMessagesRequest, context: CallContext) => Awaitable<MessagesPage<M>>;
  /** v1.1: the caller has read up to `messageId`. */
  markRead?: (request: MarkReadRequest, context: CallContext) => Awaitable<void>;
  /** v1.1: members who had no connection when a message went out (e.g. send a mobile push). */
  notifyUndelivered?: (request: NotifyUndeliveredRequest, context: CallContext) => Awaitable<void>;
}

/** What the operations need from the handler to finish an answer. */
export interface OperationTools {
  tokens: TokenSigner;
  /** A thread's members, for its threadToken. */
  threadMembers: (thread: Thread) => readonly string[];
}

/**
 * One operation. The handler reads the callback's `request` from ECB's body,
 * runs the callback (once per Idempotency-Key when `idempotent`), and answers
 * what `answer` makes of its result.
 */
export interface OperationSpec {
  /** Calls for a signed-in user carry `user` and the Bearer userToken. */
  withUser: boolean;
  /** A storing operation: a repeated Idempotency-Key gets the first result. */
  idempotent: boolean;
  /** The callback's request (default: the body as it came). */
  request?: (body: RequestBody) => RequestBody;
  /** ECB's answer from the callback's result. */
  answer: (result: unknown, request: RequestBody, tools: OperationTools) => unknown;
}

/** Throws a TypeError naming the callback whose answer is not what ECB needs. */
function misanswer(operation: Operation, what: string): never {
  throw new TypeError(`ecb-backend: the ${operation} callback returned ${what}`);
}

/** A thread with its threadToken: kept when the callback signed one, signed from its members otherwise. */
function signThread(operation: Operation, thread: Thread, tools: OperationTools): SignedThread {
  if (!thread || typeof thread !== "object" || typeof thread.threadId !== "string") {
    misanswer(operation, "a thread without a string threadId");
  }
  if (typeof thread.threadToken === "string") return thread as SignedThread;
  const members = tools.threadMembers(thread);
  if (!Array.isArray(members) || !members.every((m) => typeof m === "string")) {
    misanswer(operation, `thread ${thread.threadId} without memberIds: return them or pass the threadMembers option`);
  }
  return { ...thread, threadToken: tools.tokens.threadToken(thread.threadId, members) };
}

/** The answer of the operations that answer threadAndMessages. */
function threadAndMessages(operation: Operation) {
  return (result: unknown, _request: RequestBody, tools: OperationTools): ThreadAndMessages<SignedThread> => {
    const answer = result as ThreadAndMessages;
    if (!answer || typeof answer !== "object" || !Array.isArray(answer.messages)) {
      misanswer(operation, "no {thread, messages}");
    }
    return { ...answer, thread: signThread(operation, answer.thread, tools) };
  };
}

/** The callback's request of a list operation: the body with `paging`, defaults filled in. */
const withPaging = (body: RequestBody): RequestBody => ({ ...body, paging: requestedPaging(body) });

const pageOf = (result: unknown, request: RequestBody) =>
  toPage(result as readonly unknown[] | Page<unknown>, (request as PagedRequest).paging);

/** `{}`: the answer of operations that answer nothing. */
const empty = () => ({});

/** Every operation ECB calls, by name (the callback of the same name serves it). */
export const OPERATIONS: Readonly<Record<Operation, OperationSpec>> = {
  getUserToken: {
    withUser: false,
    idempotent: false,
    answer: (result, _request, tools) => {
      const answer = result as UserTokenAnswer<User>;
      if (answer === null || answer === undefined) throw BackendError.unauthorized("unknown accessToken");
      if (typeof answer === "string") return { userToken: answer };
      if (typeof answer.userToken === "string") return { userToken: answer.userToken };
      const user = answer as User;
      if (typeof user.userId !== "string") misanswer("getUserToken", "neither a user with a userId nor a userToken");
      return { userToken: tools.tokens.userToken(user) };
    },
  },
  getContacts: { withUser: true, idempotent: false, request: withPaging, answer: pageOf },
  getThreads: {
    withUser: true,
    idempotent: false,
    request: withPaging,
    answer: (result, request, tools) => {
      const found = pageOf(result, request) as Page<Thread>;
      return { ...found, items: found.items.map((t) => signThread("getThreads", t, tools)) };
    },
  },
  createThread: { withUser: true, idempotent: true, answer: threadAndMessages("createThread") },
  getThread: { withUser: true, idempotent: false, answer: threadAndMessages("getThread") },
  addThreadMessage: { withUser: true, idempotent: true, answer: threadAndMessages("addThreadMessage") },
  getThreadMessages: {
    withUser: true,
    idempotent: false,
    answer: (result) => {
      const answer = result as MessagesPage;
      if (!answer || !Array.isArray(answer.messages)) misanswer("getThreadMessages", "no {messages, hasMore}");
      return { ...answer, hasMore: Boolean(answer.hasMore) };
    },
  },
  markRead: { withUser: true, idempotent: false, answer: empty },
  notifyUndelivered: { withUser: false, idempotent: false, answer: empty },
};

/** Whether a name is one of the Backend API's operations. */
export function isOperation(name: string): name is Operation {
  return Object.prototype.hasOwnProperty.call(OPERATIONS, name);
}
