// Socket.IO v4 transport (socket.io-client): `auth: {token}`, one event per
// operation with the envelope as its ack, pushes as events.
import { io } from "socket.io-client";
import { ConnectionLost, EcbError } from "../errors.js";
import { type Connection, InFlight, PUSHES, type Transport } from "../transport.js";
import type { ErrorBody } from "../types.js";

export interface SocketIoOptions {
  url: string;
  /** `/socket.io` on the local server, `/{stage}` on API Gateway. */
  path?: string;
  transports?: ("polling" | "websocket")[];
}

export function socketIoTransport({ url, path, transports }: SocketIoOptions): Transport {
  return (userToken, events) =>
    new Promise<Connection>((resolve, reject) => {
      // The client reconnects by itself (the same way for every transport),
      // so socket.io's manager must not.
      const socket = io(url, {
        auth: { token: userToken },
        reconnection: false,
        forceNew: true,
        ...(path ? { path } : {}),
        ...(transports ? { transports } : {}),
      });
      const inFlight = new InFlight();
      let open = false;
      let closedByUs = false;

      socket.once("connect", () => {
        open = true;
        resolve({
          request: (action, payload) =>
            socket.connected
              ? inFlight.track((settle) => socket.emit(action, payload, settle))
              : Promise.reject(new ConnectionLost()),
          close: () => {
            closedByUs = true;
            socket.close();
          },
        });
      });
      socket.once("connect_error", (error: Error & { data?: Partial<ErrorBody> }) => {
        socket.close();
        reject(
          error.data?.code
            ? EcbError.from(error.data)
            : new EcbError("connect_failed", `Socket.IO connection failed: ${error.message}`),
        );
      });
      socket.on("disconnect", (reason) => {
        inFlight.fail(new ConnectionLost());
        if (open && !closedByUs) events.lost(reason);
      });
      for (const name of PUSHES) socket.on(name, (body: unknown) => events.push(name, body));
    });
}
