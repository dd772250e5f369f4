// ECB's server API, backend → ECB: push a message stored by other means, ask
// who is online in a thread, sign a user out everywhere. Works against a local
// `ecb serve` and the serverless `api` function's HTTP API URL alike.
import { EcbError, type EcbErrorCode } from "./errors.js";
import type { TokenSigner } from "./tokens.js";
import type { Delivered, Disconnected, Envelope, MessageLike, Presence } from "./types.js";

export interface ServerApiOptions {
  /** ECB's base URL: `http://127.0.0.1:8080`, or the stack's HTTP API URL. */
  url: string;
  /** Mints a short-lived serverToken for every call. */
  tokens: TokenSigner;
  /** Per-call timeout in ms; default 10 000. */
  timeoutMs?: number;
  /** The fetch to use; default the global one (Node 18+). */
  fetch?: typeof fetch;
}

const KNOWN_CODES: ReadonlySet<string> = new Set<EcbErrorCode>([
  "bad_request",
  "unauthorized",
  "forbidden",
  "unknown_action",
  "payload_too_large",
  "rate_limited",
  "backend_rejected",
  "backend_unavailable",
  "backend_invalid_response",
  "internal",
]);

/**
 * The server API client. Each call carries a freshly minted serverToken, so
 * nothing long-lived is ever sent; a refused call rejects with an EcbError
 * whose `code` is ECB's.
 */
export class ServerApi {
  private readonly url: string;
  private readonly tokens: TokenSigner;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(options: ServerApiOptions) {
    this.url = options.url.replace(/\/+$/, "");
    this.tokens = options.tokens;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    const chosen = options.fetch ?? globalThis.fetch;
    if (typeof chosen !== "function") throw new TypeError("no fetch here: pass the fetch option");
    this.fetch = chosen;
  }

  /**
   * Pushes `message` (already stored by your backend) to every connection
   * joined to its thread; resolves with how many it reached. `message.threadId`
   * must be `threadId` when present.
   */
  publish<M extends MessageLike>(threadId: string, message: M): Promise<Delivered> {
    return this.call<Delivered>("POST", "/v1/server/publish", { threadId, message: { threadId, ...message } });
  }

  /** The users with a connection joined to a thread now. */
  getPresence(threadId: string): Promise<Presence> {
    return this.call<Presence>("GET", `/v1/server/threads/${encodeURIComponent(threadId)}/presence`);
  }

  /** Closes every connection of a user (e.g. after sign-out or a ban); resolves with how many. */
  disconnectUser(userId: string): Promise<Disconnected> {
    return this.call<Disconnected>("POST", "/v1/server/disconnectUser", { userId });
  }

  private async call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.tokens.serverToken()}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await this.fetch(`${this.url}${path}`, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new EcbError("connect_failed", `ECB unreachable at ${this.url}: ${(error as Error).message}`);
    }
    let envelope: Envelope<T>;
    try {
      envelope = (await response.json()) as Envelope<T>;
    } catch {
      throw new EcbError("invalid_response", `ECB answered ${response.status} without a JSON envelope`, response.status);
    }
    if (envelope && envelope.ok === true) return envelope.result;
    const error = envelope && envelope.ok === false ? envelope.error : undefined;
    if (!error) throw new EcbError("invalid_response", `ECB answered ${response.status} without an envelope`, response.status);
    const code = KNOWN_CODES.has(error.code) ? error.code : "internal";
    throw new EcbError(code, error.message ?? code, response.status);
  }
}
