// The Node peer of ECB's benchmarks: a Socket.IO 4.8 server doing ECB's job
// in the benchmark scenario, and nothing more:
// - connect: verify the RS256 userToken of `auth.token` with the same public
//   key ECB uses (refused with a CONNECT_ERROR {code, message} otherwise);
// - getThread: verify the threadToken, check membership, POST getThread to
//   the backend, check the thread it returns (its threadToken verifies and
//   names the thread), join the thread's room, ack the envelope;
// - sendMessage: verify the threadToken, check membership, POST
//   addThreadMessage to the backend (Idempotency-Key from clientMessageId),
//   check the answer as above, ack the author with the stored message, then
//   emit `message` to the thread's room except the author's socket.
// Heartbeat: pingInterval 25 s, pingTimeout 20 s (ECB's and Socket.IO's defaults).
//
// Usage: node server.mjs --listen 127.0.0.1:PORT --backend-url URL --public-key-file PEM
import { createServer } from "node:http";
import { createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { Server } from "socket.io";
import jwt from "jsonwebtoken";
import { Pool } from "undici";

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  if (fallback !== undefined) return fallback;
  console.error(`missing ${name}`);
  process.exit(2);
}

const listen = arg("--listen", "127.0.0.1:3001");
const backendUrl = new URL(arg("--backend-url"));
const publicKey = createPublicKey(readFileSync(arg("--public-key-file")));
const [host, port] = [listen.slice(0, listen.lastIndexOf(":")), Number(listen.slice(listen.lastIndexOf(":") + 1))];
const backendPath = backendUrl.pathname.replace(/\/$/, "");
const backend = new Pool(backendUrl.origin, { connections: 64 });
const verifyOptions = { algorithms: ["RS256"], clockTolerance: 30 };

class OpError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const envelopeOf = (error) => ({
  ok: false,
  error: { code: error.code ?? "internal", message: error.message },
});

function verify(token, kind) {
  try {
    return jwt.verify(token, publicKey, verifyOptions);
  } catch (e) {
    throw new OpError("unauthorized", `invalid ${kind}: ${e.message}`);
  }
}

function authorizeThread(socket, threadToken) {
  if (typeof threadToken !== "string") throw new OpError("bad_request", "threadToken required");
  const claims = verify(threadToken, "threadToken");
  if (typeof claims.threadId !== "string" || !Array.isArray(claims.memberIds)) {
    throw new OpError("unauthorized", "invalid threadToken claims");
  }
  if (!claims.memberIds.includes(socket.data.user.userId)) {
    throw new OpError("forbidden", "you are not a member of this thread");
  }
  return claims;
}

async function callBackend(operation, socket, body, idempotencyKey) {
  const headers = {
    "content-type": "application/json",
    authorization: `Bearer ${socket.data.userToken}`,
  };
  if (idempotencyKey) headers["idempotency-key"] = idempotencyKey;
  let response;
  try {
    response = await backend.request({
      path: `${backendPath}/${operation}`,
      method: "POST",
      headers,
      body: JSON.stringify(body),
      headersTimeout: 10000,
      bodyTimeout: 10000,
    });
  } catch {
    throw new OpError("backend_unavailable", `backend ${operation} unreachable`);
  }
  const text = await response.body.text();
  if (response.statusCode >= 500) throw new OpError("backend_unavailable", `backend ${operation} failed`);
  if (response.statusCode >= 400) throw new OpError("backend_rejected", `backend ${operation} rejected`);
  try {
    return JSON.parse(text);
  } catch {
    throw new OpError("backend_invalid_response", `backend ${operation} answered with invalid JSON`);
  }
}

// The backend's threadAndMessages: its thread's token must verify and name it.
function checkThreadAndMessages(answer, threadId) {
  const thread = answer?.thread;
  if (!thread || typeof thread.threadToken !== "string" || !Array.isArray(answer.messages)) {
    throw new OpError("backend_invalid_response", "backend threadAndMessages malformed");
  }
  let claims;
  try {
    claims = jwt.verify(thread.threadToken, publicKey, verifyOptions);
  } catch (e) {
    throw new OpError("backend_invalid_response", `backend thread's threadToken: ${e.message}`);
  }
  if (claims.threadId !== thread.threadId || thread.threadId !== threadId) {
    throw new OpError("backend_invalid_response", "backend answered about another thread");
  }
  return answer;
}

const httpServer = createServer();
const io = new Server(httpServer, {
  pingInterval: 25000,
  pingTimeout: 20000,
  maxHttpBufferSize: 1e6,
  serveClient: false,
});

io.use((socket, next) => {
  const token = socket.handshake.auth?.token;
  try {
    if (typeof token !== "string") throw new OpError("unauthorized", "missing userToken");
    const claims = verify(token, "userToken");
    if (typeof claims.userId !== "string") throw new OpError("unauthorized", "userToken lacks userId");
    socket.data.user = { userId: claims.userId, displayName: claims.displayName };
    socket.data.userToken = token;
    next();
  } catch (e) {
    const err = new Error(e.message);
    err.data = { code: e.code ?? "unauthorized", message: e.message };
    next(err);
  }
});

io.on("connection", (socket) => {
  socket.on("getThread", async (payload, ack) => {
    try {
      const claims = authorizeThread(socket, payload?.threadToken);
      const body = { ...payload, user: socket.data.user, threadId: claims.threadId };
      const found = checkThreadAndMessages(await callBackend("getThread", socket, body), claims.threadId);
      socket.join(claims.threadId);
      if (typeof ack === "function") ack({ ok: true, result: found });
    } catch (e) {
      if (typeof ack === "function") ack(envelopeOf(e));
    }
  });

  socket.on("sendMessage", async (payload, ack) => {
    try {
      const claims = authorizeThread(socket, payload?.threadToken);
      const message = payload?.message;
      if (!message || typeof message.type !== "string") throw new OpError("bad_request", "message.type required");
      const body = { ...payload, user: socket.data.user, threadId: claims.threadId };
      const answer = checkThreadAndMessages(
        await callBackend("addThreadMessage", socket, body, message.clientMessageId),
        claims.threadId,
      );
      const stored = answer.messages[0];
      if (!stored) throw new OpError("backend_invalid_response", "backend addThreadMessage returned no message");
      if (typeof ack === "function") ack({ ok: true, result: stored });
      socket.to(claims.threadId).emit("message", { threadId: claims.threadId, message: stored });
    } catch (e) {
      if (typeof ack === "function") ack(envelopeOf(e));
    }
  });
});

httpServer.listen(port, host, () => {
  console.log(`node socket.io peer listening on http://${host}:${port}`);
});

const stop = () => {
  io.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
