// The Backend API as one request handler: every call ECB makes to a backend,
// verified, parsed, given to the application's callback, and answered the way
// ECB checks it, with no framework in between.
import { BackendError, TokenError, WebhookVerificationError } from "./errors.js";
import { fetchAdapter, nodeListener, type NodeListener } from "./http.js";
import { Idempotency, type IdempotencyStore } from "./idempotency.js";
import { OPERATIONS, isOperation, type BackendCallbacks, type CallContext, type OperationTools } from "./operations.js";
import type { TokenSigner } from "./tokens.js";
import type { ErrorBody, MessageLike, Operation, RequestBody, Thread, ThreadLike, ThreadMessage, User, UserLike } from "./types.js";
import { ReplayGuard, Webhook, headerValue, type HeaderSource, type VerifiedWebhook } from "./webhooks.js";

/** The options of backendHandler: your callbacks, plus how to check and sign. */
export interface BackendHandlerOptions<
  U extends UserLike = User,
  T extends ThreadLike = Thread,
  M extends MessageLike = ThreadMessage,
> extends BackendCallbacks<U, T, M> {
  /** Signs userTokens and threadTokens, and verifies the Bearer userToken of each call. */
  tokens: TokenSigner;
  /**
   * ECB_BACKEND_SECRET (`whsec_<base64>`). When set, a call without a valid
   * Standard Webhooks signature, or with a timestamp over the tolerance away,
   * or with an id already seen, is refused with 401 `bad_signature`.
   */
  webhookSecret?: string | Uint8Array;
  /** Default 300 s, the standard's. */
  webhookToleranceSeconds?: number;
  /**
   * Check each call's Bearer userToken against your own keys (default true):
   * 401 `unauthorized` if it does not verify. The callbacks' `request.user` is
   * then the token's claims. Turn it off only when ECB's signature suffices.
   */
  verifyUserTokens?: boolean;
  /**
   * A thread's members, for the threadToken the handler signs for a thread
   * returned without one. Default: its `memberIds`. For the original ECB
   * model, `(t) => t.members.map((m) => m.userId)`.
   */
  threadMembers?: (thread: T) => readonly string[];
  /**
   * Where first answers to an Idempotency-Key are kept: a store, `{store,
   * ttlMs}`, or false to run every repeat. Default: in memory, 10 000 keys, 24 h.
   */
  idempotency?: IdempotencyStore | { store?: IdempotencyStore; ttlMs?: number } | false;
  /** The largest body read, in bytes; default 1 MiB. A bigger one gets 413. */
  maxBodyBytes?: number;
  /**
   * Hears every unexpected error (anything but a BackendError), which is
   * answered 500 `internal` without its details. Default: console.error.
   */
  onError?: (error: unknown, context: CallContext) => void;
}

/** One call as the handler sees it, whatever server received it. */
export interface BackendRequest {
  /** The operation: the last path segment, e.g. `getThread`. */
  operation: string;
  /** Default POST. */
  method?: string;
  headers: HeaderSource;
  /** The raw body bytes: the webhook signature covers them exactly. */
  body: string | Uint8Array;
}

/** The handler's answer: a status and a JSON body. */
export interface BackendResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * The handler: a node:http `(req, res)` listener, which is also Express/Connect
 * middleware (`app.use("/ecb", handler)`; a path that is no operation goes to
 * `next`), plus `handle` for any server that hands over the raw body
 * (Fastify, Koa, Lambda) and `fetch` for fetch-style servers (Hono, Bun, Deno).
 */
export interface BackendHandler extends NodeListener {
  handle(request: BackendRequest): Promise<BackendResponse>;
  fetch(request: Request): Promise<Response>;
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };

function respond(status: number, body: unknown, extra: Record<string, string> = {}): BackendResponse {
  return { status, headers: { ...JSON_HEADERS, ...extra }, body: JSON.stringify(body) };
}

/** The Backend API's error answer, `{"error": {code, message}}`, which ECB passes on to the client. */
export function errorResponse(status: number, code: string, message: string, extra?: Record<string, string>): BackendResponse {
  const error: ErrorBody = { code, message };
  return respond(status, { error }, extra);
}

/**
 * A refusal the application meant: a BackendError, or any error carrying a
 * string `code` and a 4xx `status`/`statusCode` (as http-errors makes them).
 */
function rejection(error: unknown): { status: number; code: string; message: string } | undefined {
  if (error instanceof BackendError) return error;
  if (!error || typeof error !== "object") return undefined;
  const { code, message, status, statusCode } = error as Record<string, unknown>;
  const chosen = status ?? statusCode;
  if (typeof code !== "string" || typeof chosen !== "number" || chosen < 400 || chosen > 499) return undefined;
  return { status: chosen, code, message: typeof message === "string" ? message : code };
}

function bearer(headers: HeaderSource): string | undefined {
  const value = headerValue(headers, "authorization");
  const match = value ? /^Bearer\s+(\S+)$/i.exec(value) : null;
  return match?.[1];
}

function parseBody(body: string | Uint8Array): RequestBody | undefined {
  try {
    const text = typeof body === "string" ? body : Buffer.from(body).toString("utf8");
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? (value as RequestBody) : undefined;
  } catch {
    return undefined;
  }
}

function idempotencyFor(option: BackendHandlerOptions["idempotency"]): Idempotency | undefined {
  if (option === false) return undefined;
  if (option && "get" in option && "set" in option) return new Idempotency({ store: option });
  return new Idempotency(option ?? {});
}

const defaultMembers = (thread: Thread): readonly string[] => thread.memberIds as readonly string[];

/**
 * Builds the Backend API handler from your callbacks. Mount it where
 * ECB_BACKEND_URL points: ECB calls `POST {ECB_BACKEND_URL}/{operation}`.
 */
export function backendHandler<U extends UserLike = User, T extends ThreadLike = Thread, M extends MessageLike = ThreadMessage>(
  options: BackendHandlerOptions<U, T, M>,
): BackendHandler {
  const callbacks = options as unknown as BackendCallbacks;
  const webhook = options.webhookSecret === undefined
    ? undefined
    : new Webhook(options.webhookSecret, { toleranceSeconds: options.webhookToleranceSeconds ?? 300 });
  const replays = new ReplayGuard(options.webhookToleranceSeconds ?? 300);
  const idempotency = idempotencyFor(options.idempotency);
  const verifyUserTokens = options.verifyUserTokens ?? true;
  const tools: OperationTools = {
    tokens: options.tokens,
    threadMembers: (options.threadMembers as OperationTools["threadMembers"] | undefined) ?? defaultMembers,
  };
  const onError = options.onError ?? ((error, context) => console.error(`ecb-backend: ${context.operation} failed:`, error));

  /** The call's `user`: the verified userToken's claims, or the body's when verification is off. */
  function callerOf(body: RequestBody, token: string | undefined): User {
    if (verifyUserTokens) {
      if (!token) throw BackendError.unauthorized("bearer userToken missing");
      try {
        const { userId, displayName, data } = options.tokens.verifyUserToken(token);
        const user: User = { userId };
        if (displayName !== undefined) user.displayName = displayName;
        if (data !== undefined) user.data = data;
        return user;
      } catch (error) {
        if (error instanceof TokenError) throw BackendError.unauthorized(`bearer userToken refused: ${error.message}`);
        throw error;
      }
    }
    const user = body.user as User | undefined;
    if (!user || typeof user.userId !== "string") throw BackendError.badRequest("the call has no user");
    return user;
  }

  function verifySignature(request: BackendRequest): VerifiedWebhook | undefined {
    if (!webhook) return undefined;
    const verified = webhook.verify(request.body, request.headers);
    replays.check(verified);
    return verified;
  }

  async function run(operation: Operation, request: BackendRequest, context: CallContext): Promise<BackendResponse> {
    const spec = OPERATIONS[operation];
    const body = parseBody(request.body);
    if (!body) return errorResponse(400, "bad_json", "the body is not a JSON object");
    const callback = callbacks[operation] as ((request: RequestBody, context: CallContext) => unknown) | undefined;
    if (typeof callback !== "function") {
      return errorResponse(404, "unknown_operation", `this backend does not implement ${operation}`);
    }
    let input = body;
    if (spec.withUser) input = { ...body, user: callerOf(body, context.userToken) };
    if (spec.request) input = spec.request(input);
    const call = async () => callback(input, context);
    const result = spec.idempotent && context.idempotencyKey !== undefined && idempotency
      ? await idempotency.once(Idempotency.scope(operation, (input.user as User).userId, context.idempotencyKey), call)
      : await call();
    return respond(200, spec.answer(result, input, tools));
  }

  async function handle(request: BackendRequest): Promise<BackendResponse> {
    const { operation } = request;
    if (!isOperation(operation)) return errorResponse(404, "unknown_operation", `no operation ${operation}`);
    if ((request.method ?? "POST").toUpperCase() !== "POST") {
      return errorResponse(405, "method_not_allowed", "the Backend API takes POST", { allow: "POST" });
    }
    const context: CallContext = { operation, headers: request.headers };
    const token = bearer(request.headers);
    if (token) context.userToken = token;
    const key = headerValue(request.headers, "idempotency-key");
    if (key) context.idempotencyKey = key;
    try {
      const verified = verifySignature(request);
      if (verified) context.webhook = verified;
      return await run(operation, request, context);
    } catch (error) {
      if (error instanceof WebhookVerificationError) return errorResponse(401, "bad_signature", error.message);
      const refused = rejection(error);
      if (refused) return errorResponse(refused.status, refused.code, refused.message);
      onError(error, context);
      return errorResponse(500, "internal", "internal error");
    }
  }

  const listener = nodeListener(handle, {
    isOperation,
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    signed: webhook !== undefined,
    tooLarge: (limit) => errorResponse(413, "payload_too_large", `the body is over ${limit} bytes`),
    unreadable: (problem, operation, req) => {
      onError(problem, { operation: operation as Operation, headers: req.headers });
      return errorResponse(500, "internal", problem.message);
    },
  });
  return Object.assign(listener, { handle, fetch: fetchAdapter(handle) });
}
