// EcbError: what a failed operation rejects with.
import type { BackendError, ErrorBody, ErrorCode } from "./types.js";

/** A failed operation: the envelope's `code` and `message`, and the backend's own error when it refused. */
export class EcbError extends Error {
  readonly code: ErrorCode;
  readonly backend?: BackendError;

  constructor(code: ErrorCode, message: string, backend?: BackendError) {
    super(message);
    this.name = "EcbError";
    this.code = code;
    if (backend) this.backend = backend;
  }

  /** From an envelope's `error` (or anything shaped like one). */
  static from(body: Partial<ErrorBody> | undefined): EcbError {
    return new EcbError(body?.code ?? "internal", body?.message ?? "unknown error", body?.backend);
  }
}

/** Internal: a connection went away before the answer came. The request is sent again. */
export class ConnectionLost extends Error {
  constructor() {
    super("connection lost");
    this.name = "ConnectionLost";
  }
}
