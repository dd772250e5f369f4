// The models of PROTOCOL.md (the ECB wire contract), as TypeScript types.
// The models belong to the backend: ECB reads only a thread's `threadId` and
// `threadToken` and a message's `messageId`, and passes every other field
// through untouched. The optional fields below are the demo backend's.

/** `user`. */
export interface User {
  userId: string;
  displayName?: string;
  data?: unknown;
  [extra: string]: unknown;
}

/** `thread`: the threadToken is the key to every thread operation. */
export interface Thread {
  threadId: string;
  threadToken: string;
  memberIds?: string[];
  data?: unknown;
  [extra: string]: unknown;
}

/** `threadMessage`: a message as the backend stored it, field for field. */
export interface ThreadMessage {
  messageId: string;
  threadId?: string;
  senderId?: string;
  clientMessageId?: string | null;
  type?: string;
  data?: unknown;
  /** The demo backend's: epoch milliseconds. Yours may be anything. */
  createdAt?: unknown;
  [extra: string]: unknown;
}

/** An outgoing `message`. `clientMessageId` (≤ 64 chars) is the idempotency key. */
export interface OutgoingMessage {
  clientMessageId?: string;
  type: string;
  data: unknown;
}

/** `pagingBase`. */
export interface PagingBase {
  pageStartIndex: number;
  pageSize: number;
}

/** What a paged operation asks for; ECB fills in what is missing. */
export type Paging = Partial<PagingBase>;

/** A page of `items`, with the neighbouring pages or null. */
export interface Page<T> extends PagingBase {
  items: T[];
  previousPage: PagingBase | null;
  nextPage: PagingBase | null;
  /** A backend that pages itself may add fields (a total, a cursor). */
  [extra: string]: unknown;
}

/** `pagedThreads`. */
export type PagedThreads = Page<Thread>;
/** `pagedContacts`. */
export type PagedContacts = Page<User>;

/** `threadAndMessages`. */
export interface ThreadAndMessages {
  thread: Thread;
  messages: ThreadMessage[];
  [extra: string]: unknown;
}

/** createThread's payload. */
export interface NewThread {
  memberIds: string[];
  data?: unknown;
  message: OutgoingMessage;
}

/** getPresence's result: the users online in a thread. */
export interface Presence {
  threadId: string;
  userIds: string[];
}

/** Push `message`. */
export interface MessagePush {
  threadId: string;
  message: ThreadMessage;
}

/** Push `typing`. */
export interface TypingPush {
  threadId: string;
  userId: string;
  typing: boolean;
}

/** Push `presence`: a user's first connection joined, or their last one left. */
export interface PresencePush {
  threadId: string;
  userId: string;
  online: boolean;
}

/** Push `read`: a user read the thread up to a message (markRead). */
export interface ReadPush {
  threadId: string;
  userId: string;
  messageId: string;
}

/** A page of history (getMessages), oldest first. */
export interface MessagePage {
  threadId: string;
  messages: ThreadMessage[];
  hasMore: boolean;
}

/** getMessages' window: `before` or `after` a messageId (exclusive), or the newest. */
export interface HistoryRange {
  before?: string;
  after?: string;
  pageSize?: number;
}

/**
 * After a reconnect, per joined thread: whether every message missed while
 * away was emitted (`true`), or the gap could not be closed (`false`: an
 * error, or the backend no longer knows the last message shown) and the app
 * should reload the thread instead of showing a silent hole.
 */
export interface Recovery {
  threadId: string;
  recovered: boolean;
  /** Why not, when `recovered` is false. */
  error?: ErrorBody;
}

/** The client's connection, as the `state` event reports it. */
export type ConnectionState = "connecting" | "connected" | "reconnecting" | "closed";

/** What `ecb.on(event, fn)` hands to `fn`. */
export interface EventMap {
  message: MessagePush;
  typing: TypingPush;
  presence: PresencePush;
  read: ReadPush;
  recovered: Recovery;
  state: ConnectionState;
}

/** The push events of PROTOCOL.md. */
export type PushName = "message" | "typing" | "presence" | "read";

/** The error codes of PROTOCOL.md. */
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

/** Codes of the client's own: it could not connect, or it was closed. */
export type ClientErrorCode = "connect_failed" | "closed";

export type ErrorCode = ProtocolErrorCode | ClientErrorCode;

/** The backend's own refusal, passed on by ECB. */
export interface BackendError {
  code: string;
  message: string;
}

/** An envelope's `error`. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  backend?: BackendError;
}

/** Every answer of ECB. */
export type Envelope<T = unknown> = { ok: true; result: T } | { ok: false; error: ErrorBody };

/** A WebSocket constructor (the browser's, or `ws` in Node). */
export type WebSocketConstructor = new (url: string) => WebSocket;

/** Reconnection delays: exponential from `minDelayMs`, capped at `maxDelayMs`, jittered. */
export interface BackoffOptions {
  minDelayMs?: number;
  maxDelayMs?: number;
  factor?: number;
}

export interface ConnectOptions {
  /** ECB's HTTP base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** A userToken from your backend… */
  userToken?: string;
  /** …or your backend's accessToken, traded through getUserToken. */
  accessToken?: string;
  /** Default `socket.io`, on the local server and on API Gateway alike. */
  transport?: "socket.io" | "websocket";
  /** The raw WebSocket endpoint; default `{url}/ws` (ws: or wss:). For API Gateway: `wss://…/{stage}`. */
  wsUrl?: string;
  /** The WebSocket constructor for the websocket transport; default the global one (pass `ws` in Node). */
  WebSocket?: WebSocketConstructor;
  /** Socket.IO transports; default `["polling", "websocket"]` (polling, upgraded). API Gateway: `["websocket"]`. */
  socketIoTransports?: ("polling" | "websocket")[];
  /** The Socket.IO path; default `/socket.io`. API Gateway: `/{stage}`. */
  socketIoPath?: string;
  /**
   * Returns a fresh userToken. Called when the userToken is within 60 s of its
   * `exp`, and before reconnecting with an expired one. With `accessToken` and
   * no `refreshToken`, the accessToken is traded again.
   */
  refreshToken?: () => Promise<string>;
  backoff?: BackoffOptions;
}
