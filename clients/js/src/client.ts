// EcbClient: one promise-returning method per operation, push events, and the
// resilience around them: reconnect with backoff, rejoin joined threads and
// recover what was missed meanwhile (gap-free, or saying it could not),
// resend unacked requests, drop duplicate messages, refresh the userToken in
// place.
import { Backoff } from "./backoff.js";
import { EcbError } from "./errors.js";
import { expiresAt, randomId, threadIdOf } from "./token.js";
import type { Connection, Transport } from "./transport.js";
import type {
  BackoffOptions,
  ConnectionState,
  Envelope,
  ErrorBody,
  EventMap,
  HistoryRange,
  MessagePage,
  MessagePush,
  NewThread,
  OutgoingMessage,
  PagedContacts,
  PagedThreads,
  Paging,
  Presence,
  PushName,
  ThreadAndMessages,
  ThreadMessage,
} from "./types.js";

/** Refresh the userToken this long before its `exp`. */
const REFRESH_MARGIN_MS = 60_000;
/** ECB's default clock leeway for `exp`. */
const LEEWAY_MS = 30_000;
/** How many delivered messageIds are remembered for dropping duplicates. */
const SEEN_LIMIT = 10_000;
/** Recovery's page size (ECB's largest). */
const RECOVERY_PAGE = 200;

export interface ClientOptions {
  transport: Transport;
  userToken: string;
  refreshToken?: () => Promise<string>;
  backoff?: BackoffOptions;
}

/** A request waiting for its answer; it is sent again on every new connection until answered. */
interface Job {
  action: string;
  payload: object;
  resolve(result: unknown): void;
  reject(error: EcbError): void;
  /** The connection it was last sent on. */
  sentOn?: Connection;
}

type Listener<K extends keyof EventMap> = (event: EventMap[K]) => void;

export class EcbClient {
  private readonly transport: Transport;
  private readonly refresh?: () => Promise<string>;
  private readonly backoff: Backoff;
  private token: string;
  private connection?: Connection;
  private currentState: ConnectionState = "connecting";
  private readonly queue: Job[] = [];
  /** threadId → the latest threadToken of each thread this client joined. */
  private readonly joined = new Map<string, string>();
  /** messageIds already handed to the app, oldest first. */
  private readonly seen = new Set<string>();
  /** threadId → the newest messageId handed to the app (recovery starts after it). */
  private readonly lastShown = new Map<string, string>();
  /** threadId → pushes held back while the thread recovers, so order holds. */
  private readonly held = new Map<string, MessagePush[]>();
  private readonly listeners = new Map<keyof EventMap, Set<Listener<keyof EventMap>>>();
  private reconnectTimer?: ReturnType<typeof setTimeout>;
  private refreshTimer?: ReturnType<typeof setTimeout>;
  private forceRefresh = false;

  constructor({ transport, userToken, refreshToken, backoff }: ClientOptions) {
    this.transport = transport;
    this.token = userToken;
    this.refresh = refreshToken;
    this.backoff = new Backoff(backoff);
  }

  /** The connection's state now. */
  get state(): ConnectionState {
    return this.currentState;
  }

  /** Whether close() was called, or the client gave up. */
  get closed(): boolean {
    return this.currentState === "closed";
  }

  /** The userToken in use (it changes when refreshed). */
  get userToken(): string {
    return this.token;
  }

  // ---- operations -------------------------------------------------------

  getContacts(paging: Paging = {}): Promise<PagedContacts> {
    return this.call("getContacts", paging);
  }

  getThreads(paging: Paging = {}): Promise<PagedThreads> {
    return this.call("getThreads", paging);
  }

  /** Creates a thread and joins it. The first message gets a clientMessageId when it has none. */
  async createThread({ memberIds, data, message }: NewThread): Promise<ThreadAndMessages> {
    const payload = { memberIds, message: withId(message), ...(data === undefined ? {} : { data }) };
    return this.opened(await this.call<ThreadAndMessages>("createThread", payload));
  }

  /** A thread and its recent messages; joins it (its pushes come until leaveThread). */
  async getThread(threadToken: string): Promise<ThreadAndMessages> {
    return this.opened(await this.call<ThreadAndMessages>("getThread", { threadToken }));
  }

  /**
   * Sends a message; resolves with the stored message (the ack). Fills in a
   * clientMessageId when absent; while disconnected the message waits, and it
   * is sent again with the same clientMessageId until acked.
   */
  async sendMessage(threadToken: string, message: OutgoingMessage): Promise<ThreadMessage> {
    const stored = await this.call<ThreadMessage>("sendMessage", {
      threadToken,
      message: withId(message),
    });
    if (stored && typeof stored.messageId === "string") {
      this.remember(stored.messageId);
      const threadId = threadIdOf(threadToken);
      if (threadId) this.shown(threadId, stored.messageId);
    }
    return stored;
  }

  /** Leaves a thread's channel: no more of its pushes, and no rejoin on reconnect. */
  async leaveThread(threadToken: string): Promise<void> {
    const threadId = threadIdOf(threadToken);
    if (threadId) this.joined.delete(threadId);
    await this.call("leaveThread", { threadToken });
  }

  getPresence(threadToken: string): Promise<Presence> {
    return this.call("getPresence", { threadToken });
  }

  /** A page of a thread's history, oldest first ("load older": `before` the oldest shown). */
  getMessages(threadToken: string, range: HistoryRange = {}): Promise<MessagePage> {
    return this.call("getMessages", { threadToken, ...range });
  }

  /** Marks the thread read up to a message; the others (and this user's other devices) get `read`. */
  async markRead(threadToken: string, messageId: string): Promise<void> {
    await this.call("markRead", { threadToken, messageId });
  }

  /** Says whether this user is typing. Ephemeral: while disconnected it is not sent at all. */
  async setTyping(threadToken: string, typing: boolean): Promise<void> {
    const connection = this.currentState === "connected" ? this.connection : undefined;
    if (!connection) return;
    const message = { type: "typing", data: typing };
    const envelope = await connection.request("sendMessage", { threadToken, message }).catch(() => undefined);
    if (envelope && !envelope.ok) throw EcbError.from(envelope.error);
  }

  // ---- events -----------------------------------------------------------

  /** Listens to `message`, `typing`, `presence`, `read`, `recovered` or `state`; returns the function that stops it. */
  on<K extends keyof EventMap>(event: K, listener: (event: EventMap[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    const entry = listener as Listener<keyof EventMap>;
    set.add(entry);
    return () => set.delete(entry);
  }

  /** Closes the connection for good; waiting operations reject with `closed`. */
  close(): void {
    if (this.closed) return;
    this.shutdown(new EcbError("closed", "the client was closed"));
  }

  // ---- connection -------------------------------------------------------

  /** The first connection: resolves when connected, rejects with its EcbError. */
  async start(): Promise<void> {
    try {
      await this.open();
    } catch (error) {
      this.shutdown(error instanceof EcbError ? error : new EcbError("connect_failed", String(error)));
      throw error;
    }
  }

  /** Opens one connection (refreshing the token first if due), then resends and rejoins. */
  private async open(): Promise<void> {
    if (this.refresh && (this.forceRefresh || this.expiresWithin(REFRESH_MARGIN_MS))) {
      this.token = await this.refresh();
      this.forceRefresh = false;
    }
    let connection: Connection | undefined;
    connection = await this.transport(this.token, {
      push: (name, body) => {
        if (connection === this.connection) this.onPush(name, body);
      },
      lost: () => {
        if (connection === this.connection) this.onLost();
      },
    });
    if (this.closed) {
      connection.close();
      return;
    }
    this.connection = connection;
    this.backoff.reset();
    this.setState("connected");
    this.scheduleRefresh();
    // One connection's requests run in order at ECB: the resent sends are
    // acked (and remembered) before the rejoins answer with their messages.
    for (const job of [...this.queue]) this.dispatch(job, connection);
    this.rejoin(connection);
  }

  private onLost(): void {
    this.connection = undefined;
    this.setState("reconnecting");
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(async () => {
      if (this.closed) return;
      try {
        await this.open();
      } catch (error) {
        if (this.closed) return;
        // Refused, or expired past ECB's leeway (a browser WebSocket cannot tell a 401).
        if ((error instanceof EcbError && error.code === "unauthorized") || this.expiresWithin(-LEEWAY_MS)) {
          if (!this.refresh) {
            this.shutdown(new EcbError("unauthorized", "the userToken was refused or has expired"));
            return;
          }
          this.forceRefresh = true;
        }
        this.scheduleReconnect();
      }
    }, this.backoff.next());
  }

  /**
   * Refreshes the token shortly before it expires, in place (refreshToken:
   * the connection and its threads stay); if ECB refuses that, by
   * reconnecting with the fresh token.
   */
  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    const exp = expiresAt(this.token);
    if (!this.refresh || exp === undefined) return;
    let delay = exp - REFRESH_MARGIN_MS - Date.now();
    // Already within the margin (a token that lives less than it): refresh
    // halfway to its exp, never in a tight loop.
    if (delay <= 0) delay = Math.max(1000, (exp - Date.now()) / 2);
    this.refreshTimer = setTimeout(() => void this.refreshInPlace(), Math.min(delay, 2 ** 31 - 1));
    (this.refreshTimer as { unref?: () => void }).unref?.();
  }

  private async refreshInPlace(): Promise<void> {
    const connection = this.connection;
    if (this.currentState !== "connected" || !connection || !this.refresh) return;
    const fresh = await this.refresh().catch(() => undefined);
    const envelope = fresh
      ? await connection.request("refreshToken", { userToken: fresh }).catch(() => undefined)
      : undefined;
    if (connection !== this.connection) return;
    if (fresh && envelope?.ok) {
      this.token = fresh;
      this.scheduleRefresh();
      return;
    }
    // Not in place (an older ECB, a refusal): reconnect with a fresh token.
    this.forceRefresh = true;
    connection.close();
    this.connection = undefined;
    this.setState("reconnecting");
    this.backoff.reset();
    this.scheduleReconnect();
  }

  private expiresWithin(ms: number): boolean {
    const exp = expiresAt(this.token);
    return exp !== undefined && exp - Date.now() < ms;
  }

  private shutdown(error: EcbError): void {
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.refreshTimer);
    const connection = this.connection;
    this.connection = undefined;
    this.setState("closed");
    connection?.close();
    for (const job of this.queue.splice(0)) job.reject(error);
  }

  // ---- requests ---------------------------------------------------------

  /** Queues a request; it is sent now if connected, else on the next connection. */
  private call<T>(action: string, payload: object): Promise<T> {
    if (this.closed) {
      return Promise.reject(new EcbError("closed", "the client was closed"));
    }
    return new Promise<T>((resolve, reject) => {
      const job: Job = { action, payload, resolve: resolve as (r: unknown) => void, reject };
      this.queue.push(job);
      if (this.connection && this.currentState === "connected") this.dispatch(job, this.connection);
    });
  }

  private dispatch(job: Job, connection: Connection): void {
    if (job.sentOn === connection) return;
    job.sentOn = connection;
    connection.request(job.action, job.payload).then(
      (envelope: Envelope) => {
        const index = this.queue.indexOf(job);
        if (index < 0) return;
        this.queue.splice(index, 1);
        if (envelope.ok) job.resolve(envelope.result);
        else job.reject(EcbError.from(envelope.error));
      },
      // The connection ended first: the job stays queued for the next one.
      () => undefined,
    );
  }

  // ---- threads and messages -------------------------------------------

  /** Records a joined thread and the messages handed to the app with it. */
  private opened(answer: ThreadAndMessages): ThreadAndMessages {
    const { threadId, threadToken } = answer.thread;
    this.joined.set(threadId, threadToken);
    for (const message of answer.messages ?? []) {
      this.remember(message.messageId);
      this.shown(threadId, message.messageId);
    }
    return answer;
  }

  /** After a reconnect: rejoin every joined thread, then recover what it missed. */
  private rejoin(connection: Connection): void {
    for (const [threadId, threadToken] of this.joined) {
      // Pushes that arrive from the rejoin on wait behind the missed messages.
      if (this.lastShown.has(threadId)) this.held.set(threadId, []);
      connection.request("getThread", { threadToken }).then(
        async (envelope: Envelope) => {
          if (connection !== this.connection || !this.joined.has(threadId)) return;
          if (!envelope.ok) {
            // The thread is gone for this user (forbidden, expired…): stop rejoining it.
            if (envelope.error.code !== "backend_unavailable") this.joined.delete(threadId);
            this.finishRecovery(threadId, envelope.error);
            return;
          }
          const { thread, messages } = envelope.result as ThreadAndMessages;
          this.joined.set(threadId, thread.threadToken);
          const after = this.lastShown.get(threadId);
          if (after === undefined) {
            // Nothing was shown before: the recent messages are the history.
            for (const message of messages ?? []) this.deliver({ threadId, message });
            return;
          }
          this.finishRecovery(threadId, await this.recover(connection, thread.threadToken, threadId, after));
        },
        () => undefined,
      );
    }
  }

  /**
   * Pages getMessages after the last message shown until hasMore is false,
   * emitting each missed message once, oldest first. Resolves with the
   * error that stopped it, or undefined once the gap is closed.
   */
  private async recover(
    connection: Connection,
    threadToken: string,
    threadId: string,
    after: string,
  ): Promise<ErrorBody | undefined> {
    let cursor = after;
    for (;;) {
      let envelope: Envelope;
      try {
        envelope = await connection.request("getMessages", { threadToken, after: cursor, pageSize: RECOVERY_PAGE });
      } catch {
        return { code: "connect_failed", message: "the connection ended while recovering" };
      }
      if (!envelope.ok) return envelope.error;
      const page = envelope.result as MessagePage;
      for (const message of page.messages) this.show({ threadId, message });
      const last = page.messages[page.messages.length - 1]?.messageId;
      if (!page.hasMore) return undefined;
      if (last === undefined || last === cursor) {
        return { code: "backend_invalid_response", message: "getMessages said hasMore with no new messages" };
      }
      cursor = last;
    }
  }

  /** Ends a thread's recovery: reports it, then lets the held pushes through in order. */
  private finishRecovery(threadId: string, error: ErrorBody | undefined): void {
    const held = this.held.get(threadId);
    if (!held) return;
    this.held.delete(threadId);
    this.emit("recovered", error ? { threadId, recovered: false, error } : { threadId, recovered: true });
    for (const push of held) this.show(push);
  }

  private onPush(name: PushName, body: unknown): void {
    if (name === "message") this.deliver(body as MessagePush);
    else this.emit(name, body as EventMap[typeof name]);
  }

  /** A pushed or rejoined message: shown now, or after its thread's recovery. */
  private deliver(push: MessagePush): void {
    const held = this.held.get(push.threadId);
    if (held) held.push(push);
    else this.show(push);
  }

  /** Emits a message unless its messageId was shown before. */
  private show(push: MessagePush): void {
    const id = push.message?.messageId;
    if (typeof id === "string") {
      if (this.seen.has(id)) return;
      this.remember(id);
      this.shown(push.threadId, id);
    }
    this.emit("message", push);
  }

  private shown(threadId: string, messageId: string): void {
    if (this.joined.has(threadId)) this.lastShown.set(threadId, messageId);
  }

  private remember(messageId: string): void {
    this.seen.add(messageId);
    if (this.seen.size > SEEN_LIMIT) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }

  private setState(state: ConnectionState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.emit("state", state);
  }

  private emit<K extends keyof EventMap>(event: K, body: EventMap[K]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        listener(body);
      } catch (error) {
        // A listener's bug must not break the client; report it as uncaught.
        setTimeout(() => {
          throw error;
        });
      }
    }
  }
}

function withId(message: OutgoingMessage): OutgoingMessage {
  return message.clientMessageId ? message : { ...message, clientMessageId: randomId() };
}
