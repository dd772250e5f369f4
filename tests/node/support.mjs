// Shared helpers: start the real `ecb` binary, get tokens, open clients.
import { spawn } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";

const here = path.dirname(fileURLToPath(import.meta.url));
export const ECB = process.env.ECB_BIN ?? path.resolve(here, "../../target/debug/ecb");
export const PATIENCE = 5000;

/** A free loopback port (bound, read, released). */
export async function freePort() {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  await once(server, "close");
  return port;
}

/** Runs `ecb <args>` (with `extraEnv`) until its stdout shows `marker`;
 * returns the process and the line. */
async function run(args, marker, extraEnv = {}) {
  const env = { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn", ...extraEnv };
  const child = spawn(ECB, args, { stdio: ["ignore", "pipe", "inherit"], env });
  let buffer = "";
  const line = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ecb ${args[0]} did not start`)), 20000);
    child.stdout.on("data", (chunk) => {
      buffer += chunk;
      const found = buffer.split("\n").find((l) => l.includes(marker));
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    child.on("exit", (code) => reject(new Error(`ecb exited with ${code}`)));
  });
  return { child, line };
}

/** Stops a child with SIGTERM and waits for it. */
export async function stop(child) {
  if (child.exitCode !== null) return;
  child.kill("SIGTERM");
  await once(child, "exit");
}

/** `ecb demo` (ECB and the demo backend) on `port`. */
export async function startDemo(port) {
  const { child, line } = await run(
    ["demo", "--listen", `127.0.0.1:${port}`, "--backend-listen", "127.0.0.1:0"],
    "ECB:",
  );
  const url = line.split("ECB:")[1].trim().split(/\s+/)[0];
  return { child, url, stop: () => stop(child) };
}

/** `ecb serve` on `port` in front of a backend, trusting one public key
 * file, with `env` added to its environment. */
export async function startServe(port, backendUrl, publicKeyFile, env = {}) {
  const { child } = await run(
    ["serve", "--listen", `127.0.0.1:${port}`, "--backend-url", backendUrl, "--public-key-file", publicKeyFile],
    "ECB listening",
    env,
  );
  return { child, url: `http://127.0.0.1:${port}`, stop: () => stop(child) };
}

/** The demo backend alone (`ecb demo --backend-only`) on `port`; its tokens
 * verify with `DEMO_PUBLIC_KEY_FILE`. */
export async function startDemoBackend(port) {
  const { child } = await run(
    ["demo", "--backend-only", "--backend-listen", `127.0.0.1:${port}`],
    "Demo backend on",
  );
  return { child, url: `http://127.0.0.1:${port}`, stop: () => stop(child) };
}

export const ROOT = path.resolve(here, "../..");
/** The demo backend's public key, as `ecb serve --public-key-file` takes it. */
export const DEMO_PUBLIC_KEY_FILE = path.join(ROOT, "demo/backend/keys/public/demo.pem");
/** The Python of the tools venv test.sh makes (python-socketio is in it). */
export const PYTHON = process.env.ECB_PYTHON ?? path.join(ROOT, ".tools/venv/bin/python");

/**
 * The serverless stack of `infra/run-local.sh` (dynalite, the functions
 * under `cargo lambda watch`, `ecb gateway`, the demo backend) on free
 * ports, with `env` for the functions and `gatewayArgs` for the gateway.
 * Resolves once the HTTP API answers through the `api` function.
 */
export async function startServerless({ env = {}, gatewayArgs = [] } = {}) {
  const [backend, invoke, gateway, dynamo] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const child = spawn(path.join(ROOT, "infra/run-local.sh"), gatewayArgs, {
    stdio: ["ignore", "ignore", process.env.ECB_TEST_LAMBDA_LOGS ? "inherit" : "ignore"],
    detached: true,
    env: {
      ...process.env,
      RUST_LOG: process.env.RUST_LOG ?? "warn",
      ECB_DEMO_BACKEND: `127.0.0.1:${backend}`,
      ECB_INVOKE_PORT: String(invoke),
      ECB_GATEWAY: `127.0.0.1:${gateway}`,
      ECB_DYNALITE_PORT: String(dynamo),
      ...env,
    },
  });
  const url = `http://127.0.0.1:${gateway}`;
  const stopStack = async () => {
    if (child.exitCode !== null) return;
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {}
    await once(child, "exit");
  };
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`infra/run-local.sh exited with ${child.exitCode}`);
    try {
      const { status } = await rest(url, "getUserToken", { accessToken: "alice" });
      if (status === 200) break;
    } catch {}
    if (Date.now() > deadline) {
      await stopStack();
      throw new Error("the serverless stack did not answer in time");
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { child, url, stage: "local", stop: stopStack };
}

/** `ecb conformance socket.io` on `port`. */
export async function startConformance(port) {
  const { child } = await run(
    ["conformance", "socket.io", "--listen", `127.0.0.1:${port}`],
    "conformance server",
  );
  return { child, url: `http://127.0.0.1:${port}`, stop: () => stop(child) };
}

/** POST /v1/{action}. */
export async function rest(url, action, payload, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${url}/v1/${action}`, {
    method: "POST",
    headers,
    body: JSON.stringify(payload),
  });
  return { status: response.status, body: await response.json() };
}

/** A demo user's userToken, traded through getUserToken. */
export async function userToken(url, user) {
  const { body } = await rest(url, "getUserToken", { accessToken: user });
  return body.result.userToken;
}

/** The threadToken of a demo thread, as `user` sees it. */
export async function threadToken(url, user, threadId) {
  const { body } = await rest(url, "getThreads", {}, await userToken(url, user));
  return body.result.items.find((t) => t.threadId === threadId).threadToken;
}

/** Resolves with the next `event` of an emitter, or rejects after PATIENCE. */
export function next(emitter, event, ms = PATIENCE) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    emitter.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args.length > 1 ? args : args[0]);
    });
  });
}

/** Resolves once a socket.io-client socket is connected (now or later). */
export function connected(socket, ms = PATIENCE) {
  return socket.connected ? Promise.resolve() : next(socket, "connect", ms);
}

/** socket.emit with an ack, as a promise of the envelope. */
export function call(socket, action, payload) {
  return socket.timeout(PATIENCE).emitWithAck(action, payload);
}

/** A raw WebSocket client (PROTOCOL.md transport 2) of `/ws`, or of `path`
 * (an API Gateway stage). */
export async function rawClient(url, token, path = "/ws") {
  const socket = new WebSocket(`${url.replace("http", "ws")}${path}?token=${token}`);
  await once(socket, "open");
  const pushes = [];
  const waiting = new Map();
  const pushWaiters = [];
  let nextId = 1;
  socket.on("message", (data) => {
    const frame = JSON.parse(data.toString());
    if (frame.type === "response") {
      waiting.get(frame.requestId)?.(frame);
      waiting.delete(frame.requestId);
    } else if (pushWaiters.length) {
      pushWaiters.shift()(frame);
    } else {
      pushes.push(frame);
    }
  });
  return {
    socket,
    request(action, payload) {
      const requestId = nextId++;
      socket.send(JSON.stringify({ action, requestId, ...payload }));
      return new Promise((resolve) => waiting.set(requestId, resolve));
    },
    async push(type) {
      for (;;) {
        const frame = pushes.length
          ? pushes.shift()
          : await new Promise((resolve, reject) => {
              const timer = setTimeout(() => reject(new Error(`no ${type} push`)), PATIENCE);
              pushWaiters.push((f) => {
                clearTimeout(timer);
                resolve(f);
              });
            });
        if (frame.type === type) return frame;
      }
    },
    close: () => socket.close(),
  };
}
