// The shapes of PROTOCOL.md (the ECB wire contract, v1 and v1.1) as a backend sees them.
//
// ECB is a bridge: the models belong to the backend. ECB reads a thread's
// `threadId` and `threadToken`, a message's `messageId` and `threadId`, and
// passes every other field through untouched. So the model types here name
// only what ECB reads and leave the rest open; the handler's generics let an
// application put its own types in their place.

/** A JSON object whose other fields are the application's. */
export interface Extensible {
  [field: string]: unknown;
}

/**
 * `user`: who a userToken is for. ECB copies these claims into the `user` of
 * every backend call, so a callback knows its caller without a session.
 */
export interface User extends Extensible {
  userId: string;
  displayName?: string;
  data?: unknown;
}

/**
 * `thread`, as a callback may return it: `threadToken` may be left out, and
 * the handler signs one from `threadId` and the thread's members.
 */
export interface Thread extends Extensible {
  threadId: string;
  threadToken?: string;
}

/**
 * The least an application's own models must have, for the generics: ECB
 * reads these fields and nothing else, so an interface without an index
 * signature is welcome too.
 */
export interface UserLike {
  userId: string;
}
/** See UserLike: a thread needs its id (and may bring its own threadToken). */
export interface ThreadLike {
  threadId: string;
  threadToken?: string;
}
/** See UserLike: a message needs its id. */
export interface MessageLike {
  messageId: string;
}

/** A thread as ECB receives it: always with a threadToken. */
export type SignedThread<T extends ThreadLike = Thread> = T & { threadToken: string };

/**
 * `threadMessage`: a message as the backend stored it. ECB reads `messageId`
 * (to drop duplicates) and `threadId`; the rest (sender, type, time) is the
 * application's model.
 */
export interface ThreadMessage extends Extensible {
  messageId: string;
  threadId?: string;
}

/**
 * An outgoing `message` as a client sent it. `clientMessageId` (≤ 64 chars)
 * is the client's idempotency key, also sent as the `Idempotency-Key` header.
 */
export interface OutgoingMessage extends Extensible {
  clientMessageId?: string;
  type?: string;
  data?: unknown;
}

/** `pagingBase`: where a page starts and how long it is. */
export interface PagingBase {
  pageStartIndex: number;
  pageSize: number;
}

/** A page of `items` with its neighbours (null at either end): `pagedContacts`, `pagedThreads`. */
export interface Page<T> extends PagingBase {
  items: T[];
  previousPage: PagingBase | null;
  nextPage: PagingBase | null;
}

/** `threadAndMessages`: the answer of createThread, getThread and addThreadMessage. */
export interface ThreadAndMessages<T extends ThreadLike = Thread, M extends MessageLike = ThreadMessage> {
  thread: T;
  messages: M[];
}

/** getThreadMessages' answer (v1.1): messages oldest first, and whether more lie beyond. */
export interface MessagesPage<M extends MessageLike = ThreadMessage> {
  messages: M[];
  hasMore: boolean;
}

/** A value or a promise of it: callbacks may be sync or async. */
export type Awaitable<T> = T | Promise<T>;

/** The operations ECB calls on a backend (PROTOCOL.md "Backend API", v1 and v1.1). */
export type Operation =
  | "getUserToken"
  | "getContacts"
  | "getThreads"
  | "createThread"
  | "getThread"
  | "addThreadMessage"
  | "getThreadMessages"
  | "markRead"
  | "notifyUndelivered";

/** Every request body: the client's payload, passed through with its extra fields. */
export type RequestBody = Extensible;

/** getUserToken's body: the backend's own accessToken (no `user`: nobody is signed in yet). */
export interface GetUserTokenRequest extends RequestBody {
  accessToken: string;
}

/** The body of a call made for a signed-in user: `user` holds the userToken's claims. */
export interface UserRequest extends RequestBody {
  user: User;
}

/** getContacts/getThreads: the paging the client asked for, defaults filled in. */
export interface PagedRequest extends UserRequest {
  paging: PagingBase;
}

/** createThread's body. */
export interface CreateThreadRequest extends UserRequest {
  memberIds: string[];
  data?: unknown;
  message: OutgoingMessage;
}

/** The body of an operation on one thread: ECB has checked the threadToken and adds its `threadId`. */
export interface ThreadRequest extends UserRequest {
  threadId: string;
  threadToken: string;
}

/** addThreadMessage's body. */
export interface AddThreadMessageRequest extends ThreadRequest {
  message: OutgoingMessage;
}

/** getThreadMessages' body (v1.1): `before`/`after` are exclusive messageIds, at most one of them. */
export interface GetThreadMessagesRequest extends ThreadRequest {
  before?: string;
  after?: string;
  pageSize?: number;
}

/** markRead's body (v1.1). */
export interface MarkReadRequest extends ThreadRequest {
  messageId: string;
}

/** notifyUndelivered's body (v1.1): members with no connection joined when a message went out. No `user`. */
export interface NotifyUndeliveredRequest extends RequestBody {
  threadId: string;
  messageId: string;
  userIds: string[];
}

/** The server API's publish answer: how many connections the push reached. */
export interface Delivered {
  delivered: number;
}

/** The server API's presence answer: the users with a connection joined to a thread. */
export interface Presence {
  threadId: string;
  userIds: string[];
}

/** The server API's disconnectUser answer: how many connections were closed. */
export interface Disconnected {
  disconnected: number;
}

/** The error codes of ECB's envelopes (PROTOCOL.md). */
export type ProtocolErrorCode =
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "unknown_action"
  | "payload_too_large"
  | "rate_limited"
  | "backend_rejected"
  | "backend_unavailable"
  | "backend_invalid_response"
  | "internal";

/** `{code, message}`: an error as both ECB and the Backend API write it. */
export interface ErrorBody {
  code: string;
  message: string;
}

/** Every answer of ECB's server API. */
export type Envelope<T = unknown> =
  | { ok: true; result: T }
  | { ok: false; error: ErrorBody & { code: ProtocolErrorCode; backend?: ErrorBody } };
