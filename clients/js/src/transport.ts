// What the client needs of a transport: open one connection with a userToken,
// send requests on it, hear its pushes and its end. Reconnecting is the
// client's job, the same for every transport.
import type { Envelope, PushName } from "./types.js";

export interface ConnectionEvents {
  /** A push event arrived. */
  push(name: PushName, body: unknown): void;
  /** The connection ended without `close()` being called. Called at most once. */
  lost(reason: string): void;
}

export interface Connection {
  /** Sends one operation. Resolves with the envelope; rejects with ConnectionLost if the connection ends first. */
  request(action: string, payload: object): Promise<Envelope>;
  /** Closes the connection; `lost` is not called. */
  close(): void;
}

/** Opens a connection, or rejects with an EcbError (`unauthorized` for a refused token, else `connect_failed`). */
export type Transport = (userToken: string, events: ConnectionEvents) => Promise<Connection>;

export const PUSHES: readonly PushName[] = ["message", "typing", "presence", "read"];

/** Requests awaiting their answer on one connection. */
export class InFlight {
  private readonly waiting = new Set<(error: Error) => void>();

  /** Runs `send` with a settle callback; the promise rejects with `error` if `fail` is called first. */
  track(send: (settle: (envelope: Envelope) => void) => void): Promise<Envelope> {
    return new Promise((resolve, reject) => {
      const fail = (error: Error) => reject(error);
      this.waiting.add(fail);
      send((envelope) => {
        this.waiting.delete(fail);
        resolve(envelope);
      });
    });
  }

  /** Rejects every request still waiting. */
  fail(error: Error): void {
    for (const fail of this.waiting) fail(error);
    this.waiting.clear();
  }
}
