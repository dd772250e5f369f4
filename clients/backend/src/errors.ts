// The library's errors: one per way a call can fail, so callers can tell them apart by class and `code`.
import type { ErrorBody, ProtocolErrorCode } from "./types.js";

/**
 * Thrown by an application callback to refuse a call. The handler answers
 * `status` (a 4xx) with `{"error": {code, message}}`, which ECB passes on to
 * the client as `backend_rejected` carrying this code and message, so
 * `message` should be fit for the end user.
 */
export class BackendError extends Error {
  /** The application's own error code, e.g. `not_found` or `unknown_message`. */
  readonly code: string;
  /** The HTTP status answered: a 4xx (ECB treats 5xx as backend_unavailable). */
  readonly status: number;

  constructor(code: string, message: string, status = 400) {
    super(message);
    if (!Number.isInteger(status) || status < 400 || status > 499) {
      throw new RangeError(`BackendError status must be a 4xx, not ${status}`);
    }
    this.name = "BackendError";
    this.code = code;
    this.status = status;
  }

  /** 400: the request does not make sense. */
  static badRequest(message: string, code = "bad_request"): BackendError {
    return new BackendError(code, message, 400);
  }
  /** 401: the caller is not who it claims (e.g. an unknown accessToken). */
  static unauthorized(message: string, code = "unauthorized"): BackendError {
    return new BackendError(code, message, 401);
  }
  /** 403: the caller may not do this (e.g. not a member of the thread). */
  static forbidden(message: string, code = "forbidden"): BackendError {
    return new BackendError(code, message, 403);
  }
  /** 404: no such thread, message or user. */
  static notFound(message: string, code = "not_found"): BackendError {
    return new BackendError(code, message, 404);
  }
  /** 409: conflicts with the current state (e.g. an archived thread). */
  static conflict(message: string, code = "conflict"): BackendError {
    return new BackendError(code, message, 409);
  }

  /** The Backend API's error body. */
  toJSON(): { error: ErrorBody } {
    return { error: { code: this.code, message: this.message } };
  }
}

/**
 * A refused or failed server API call (publish, getPresence, disconnectUser).
 * `code` is ECB's envelope code, or `connect_failed` when ECB could not be
 * reached and `invalid_response` when its answer was not an envelope.
 */
export class EcbError extends Error {
  readonly code: EcbErrorCode;
  /** The HTTP status of ECB's answer; undefined when there was none. */
  readonly status?: number;

  constructor(code: EcbErrorCode, message: string, status?: number) {
    super(message);
    this.name = "EcbError";
    this.code = code;
    if (status !== undefined) this.status = status;
  }
}

/** The codes an EcbError carries: PROTOCOL.md's, plus the client side's own two. */
export type EcbErrorCode = ProtocolErrorCode | "connect_failed" | "invalid_response";

/** A JWT that failed verification; `reason` says which check (never the token's text). */
export class TokenError extends Error {
  readonly reason: TokenErrorReason;

  constructor(reason: TokenErrorReason, message: string) {
    super(message);
    this.name = "TokenError";
    this.reason = reason;
  }
}

/** Why a token was refused. */
export type TokenErrorReason = "malformed" | "algorithm" | "unknown_key" | "signature" | "expired" | "not_yet_valid" | "claims";

/**
 * A request whose Standard Webhooks signature failed: missing headers, a
 * timestamp outside the tolerance, a replayed id, or no matching signature.
 */
export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WebhookVerificationError";
  }
}
