// Raw WebSocket transport (ECB's `/ws`, API Gateway's `wss://…/{stage}`):
// JSON frames `{action, requestId, ...payload}` answered by
// `{type: "response", requestId, ...envelope}`; pushes are `{type, ...body}`.
import { ConnectionLost, EcbError } from "../errors.js";
import { type Connection, InFlight, PUSHES, type Transport } from "../transport.js";
import type { Envelope, PushName, WebSocketConstructor } from "../types.js";

export interface WebSocketOptions {
  /** The endpoint without the token, e.g. `ws://127.0.0.1:8080/ws`. */
  wsUrl: string;
  WebSocket: WebSocketConstructor;
}

interface Frame {
  type?: string;
  requestId?: unknown;
  [field: string]: unknown;
}

export function webSocketTransport({ wsUrl, WebSocket }: WebSocketOptions): Transport {
  return (userToken, events) =>
    new Promise<Connection>((resolve, reject) => {
      const separator = wsUrl.includes("?") ? "&" : "?";
      const socket = new WebSocket(`${wsUrl}${separator}token=${encodeURIComponent(userToken)}`);
      const inFlight = new InFlight();
      const answers = new Map<number, (envelope: Envelope) => void>();
      let nextId = 1;
      let open = false;
      let closedByUs = false;
      let failure = "";

      socket.onopen = () => {
        open = true;
        resolve({
          request: (action, payload) => {
            if (socket.readyState !== socket.OPEN) return Promise.reject(new ConnectionLost());
            const requestId = nextId++;
            return inFlight.track((settle) => {
              answers.set(requestId, settle);
              socket.send(JSON.stringify({ ...payload, action, requestId }));
            });
          },
          close: () => {
            closedByUs = true;
            socket.close(1000);
          },
        });
      };
      socket.onerror = (event: Event) => {
        // `ws` in Node says why ("Unexpected server response: 401"); browsers do not.
        const detail = event as Event & { message?: string };
        failure = detail.message ?? "";
      };
      socket.onclose = (event: CloseEvent) => {
        inFlight.fail(new ConnectionLost());
        answers.clear();
        if (!open) {
          reject(
            /\b401\b/.test(failure)
              ? new EcbError("unauthorized", "ECB refused the userToken")
              : new EcbError("connect_failed", `WebSocket connection failed ${failure || `(code ${event.code})`}`.trim()),
          );
        } else if (!closedByUs) {
          events.lost(`closed (code ${event.code})`);
        }
      };
      socket.onmessage = (event: MessageEvent) => {
        let frame: Frame;
        try {
          frame = JSON.parse(String(event.data)) as Frame;
        } catch {
          return;
        }
        if (frame.type === "response") {
          const settle = answers.get(frame.requestId as number);
          answers.delete(frame.requestId as number);
          const { type: _type, requestId: _id, ...envelope } = frame;
          settle?.(envelope as unknown as Envelope);
        } else if (PUSHES.includes(frame.type as PushName)) {
          const { type, ...body } = frame;
          events.push(type as PushName, body);
        }
      };
    });
}
