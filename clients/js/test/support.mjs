// Test helpers: start the real `ecb` binary (the pattern of tests/node/support.mjs),
// sign tokens with the demo key, call the server API, and a TCP proxy that can
// swallow answers and cut connections.
import { spawn } from "node:child_process";
import { createPrivateKey, sign } from "node:crypto";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, "../../..");
export const ECB = process.env.ECB_BIN ?? path.join(ROOT, "target/debug/ecb");
export const DEMO_PUBLIC_KEY = path.join(ROOT, "demo/backend/keys/public/demo.pem");
const DEMO_PRIVATE_KEY = createPrivateKey(readFileSync(path.join(ROOT, "demo/backend/keys/demo.private.pem")));
export const PATIENCE = 5000;
export { sleep };
// One helper for both Node suites: the repository's own test support.
export { freePort } from "../../../tests/node/support.mjs";

/** Runs `ecb <args>` until its stdout shows `marker`; returns the process and its output so far. */
async function run(args, marker) {
  const env = { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" };
  const child = spawn(ECB, args, { stdio: ["ignore", "pipe", "inherit"], env });
  let output = "";
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ecb ${args[0]} did not start`)), 20000);
    child.stdout.on("data", (chunk) => {
      output += chunk;
      if (output.includes(marker)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", (code) => reject(new Error(`ecb exited with ${code}`)));
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    await once(child, "exit");
  };
  return { child, output, stop };
}

const urlAfter = (output, label) => output.split(label)[1].trim().split(/\s+/)[0];

/** `ecb demo`: ECB on `port` and the demo backend on a free port. */
export async function startDemo(port) {
  const { output, stop } = await run(
    ["demo", "--listen", `127.0.0.1:${port}`, "--backend-listen", "127.0.0.1:0"],
    "Press Ctrl-C",
  );
  return { url: urlAfter(output, "ECB:"), backendUrl: urlAfter(output, "Demo backend:"), stop };
}

/** `ecb serve` alone on `port`, in front of a running demo backend (so ECB restarts without it). */
export async function startServe(port, backendUrl) {
  const { stop } = await run(
    [
      "serve",
      "--listen", `127.0.0.1:${port}`,
      "--backend-url", backendUrl,
      "--public-key-file", DEMO_PUBLIC_KEY,
    ],
    "ECB listening on",
  );
  return { url: `http://127.0.0.1:${port}`, stop };
}

/** An RS256 JWT signed with the demo key (kid "demo"), as the demo backend signs. */
export function signToken(claims) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const head = `${encode({ alg: "RS256", typ: "JWT", kid: "demo" })}.${encode(claims)}`;
  return `${head}.${sign("sha256", Buffer.from(head), DEMO_PRIVATE_KEY).toString("base64url")}`;
}

export const now = () => Math.floor(Date.now() / 1000);

/** The threadToken of one of a client's threads, by its id. */
export const tokenOf = async (client, threadId) =>
  (await client.getThreads()).items.find((t) => t.threadId === threadId).threadToken;

/** POST /v1/{action} with an optional bearer token; the envelope. */
export async function rest(url, action, payload, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${url}/v1/${action}`, { method: "POST", headers, body: JSON.stringify(payload) });
  return response.json();
}

/** The server API's publish, as a backend would call it. */
export function publish(url, threadId, message) {
  const serverToken = signToken({ scope: "server", exp: now() + 60 });
  return rest(url, "server/publish", { threadId, message }, serverToken);
}

/** Collects every `event` of a client into an array. */
export function collect(client, event) {
  const seen = [];
  client.on(event, (body) => seen.push(body));
  return seen;
}

/** Resolves when `check()` is truthy; rejects after `ms`. */
export async function waitFor(check, ms = PATIENCE, what = "condition") {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** The next `event` of a client whose body passes `filter`. */
export function nextEvent(client, event, filter = () => true, ms = PATIENCE) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${event} within ${ms} ms`));
    }, ms);
    const off = client.on(event, (body) => {
      if (!filter(body)) return;
      clearTimeout(timer);
      off();
      resolve(body);
    });
  });
}

/** Whether a promise has settled (after giving it a moment). */
export async function settled(promise, ms = 0) {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await sleep(ms);
  return done;
}

/**
 * A TCP proxy to 127.0.0.1:`targetPort`. `mute()` swallows what the server
 * sends on the connections open now; `cut()` destroys them; `block(true)`
 * refuses new connections until `block(false)`.
 */
export async function startProxy(targetPort) {
  const pairs = new Set();
  let blocked = false;
  const server = net.createServer((client) => {
    if (blocked) return client.destroy();
    const upstream = net.connect(targetPort, "127.0.0.1");
    const pair = { client, upstream, muted: false };
    pairs.add(pair);
    client.pipe(upstream);
    upstream.on("data", (data) => {
      if (!pair.muted) client.write(data);
    });
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on("error", end);
      socket.on("close", end);
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    /** Refuses new connections (true) or lets them through again (false). */
    block: (refuse) => (blocked = refuse),
    mute: () => pairs.forEach((pair) => (pair.muted = true)),
    cut: () => pairs.forEach((pair) => (pair.client.destroy(), pair.upstream.destroy())),
    close: async () => {
      pairs.forEach((pair) => (pair.client.destroy(), pair.upstream.destroy()));
      server.close();
      await once(server, "close");
    },
  };
}
