// ecb-client: the JavaScript/TypeScript client of ECB, the Enterprise Chat Bridge.
import { EcbClient } from "./client.js";
import { EcbError } from "./errors.js";
import type { Transport } from "./transport.js";
import { socketIoTransport } from "./transports/socketio.js";
import { webSocketTransport } from "./transports/websocket.js";
import type { ConnectOptions, Envelope } from "./types.js";

export { EcbClient } from "./client.js";
export { EcbError } from "./errors.js";
export type * from "./types.js";

/**
 * Connects to ECB. Resolves once connected; rejects with an EcbError when the
 * first connection fails (`unauthorized` for a refused token). Afterwards the
 * client reconnects by itself.
 */
export async function connect(options: ConnectOptions): Promise<EcbClient> {
  const url = options.url.replace(/\/+$/, "");
  let refreshToken = options.refreshToken;
  let userToken = options.userToken;
  if (!userToken) {
    const { accessToken } = options;
    if (!accessToken) throw new EcbError("bad_request", "connect needs a userToken or an accessToken");
    userToken = await getUserToken(url, accessToken);
    refreshToken ??= () => getUserToken(url, accessToken);
  }
  const client = new EcbClient({
    transport: transportFor(url, options),
    userToken,
    refreshToken,
    backoff: options.backoff,
  });
  await client.start();
  return client;
}

/** Trades a backend accessToken for a userToken: `POST {url}/v1/getUserToken`. */
export async function getUserToken(url: string, accessToken: string): Promise<string> {
  let envelope: Envelope<{ userToken: string }>;
  try {
    const response = await fetch(`${url.replace(/\/+$/, "")}/v1/getUserToken`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ accessToken }),
    });
    envelope = (await response.json()) as Envelope<{ userToken: string }>;
  } catch (error) {
    throw new EcbError("connect_failed", `getUserToken failed: ${(error as Error).message}`);
  }
  if (!envelope.ok) throw EcbError.from(envelope.error);
  return envelope.result.userToken;
}

function transportFor(url: string, options: ConnectOptions): Transport {
  if ((options.transport ?? "socket.io") === "socket.io") {
    return socketIoTransport({ url, path: options.socketIoPath, transports: options.socketIoTransports });
  }
  const WebSocket = options.WebSocket ?? (globalThis as { WebSocket?: ConnectOptions["WebSocket"] }).WebSocket;
  if (!WebSocket) {
    throw new EcbError("bad_request", "no WebSocket here: pass the `ws` package as the WebSocket option");
  }
  const wsUrl = options.wsUrl ?? `${url.replace(/^http/, "ws")}/ws`;
  return webSocketTransport({ wsUrl, WebSocket });
}
