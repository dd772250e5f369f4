// Test helpers: key pairs written as ECB key files, the real `ecb serve` in
// front of a backend (the pattern of tests/node/support.mjs), servers on free
// loopback ports, and waiting for events.
import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const PACKAGE = path.resolve(here, "..");
export const ROOT = path.resolve(PACKAGE, "../..");
export const ECB = process.env.ECB_BIN ?? path.join(ROOT, "target/debug/ecb");
export const PATIENCE = 5000;
export { sleep };
// Shared with the other Node suites rather than copied.
import { nextEvent, waitFor } from "../../js/test/support.mjs";
import { freePort } from "../../../tests/node/support.mjs";

export { freePort, nextEvent, waitFor };

/** A fresh RSA key pair: `{kid, privateKey, publicKey}` as PEM. */
export function keyPair(kid) {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  return { kid, privateKey, publicKey };
}

/** A temporary directory, removed by the returned `remove()`. */
export function tempDir() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ecb-backend-test-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes each key's public half as `<dir>/<kid>.pem`, the file ECB takes the key id from. */
export function writeKeyFiles(dir, keys) {
  return keys.map(({ kid, publicKey }) => {
    const file = path.join(dir, `${kid}.pem`);
    writeFileSync(file, publicKey);
    return file;
  });
}

/** Serves a node:http listener on a free loopback port: `{url, close}`. */
export async function listen(listener) {
  const server = http.createServer(listener);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

/** Runs a child process until its stdout shows `marker`; `{child, output, stop}`. */
export async function runUntil(command, args, marker, env = {}) {
  const child = spawn(command, args, {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn", ...env },
  });
  let output = "";
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${path.basename(command)} did not start`)), 20000);
    child.stdout.on("data", (chunk) => {
      output += chunk;
      if (output.includes(marker)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${path.basename(command)} exited with ${code}`));
    });
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    await once(child, "exit");
  };
  return { child, output, stop };
}

/**
 * `ecb serve` on `port` (default a free one) in front of `backendUrl`, trusting `keyFiles`;
 * `secret` sets ECB_BACKEND_SECRET. `{url, stop}`.
 */
export async function startEcb({ backendUrl, keyFiles, secret, port, args = [] }) {
  port ??= await freePort();
  const flags = ["serve", "--listen", `127.0.0.1:${port}`, "--backend-url", backendUrl, "--public-key-file", keyFiles.join(",")];
  if (secret) flags.push("--backend-secret", secret);
  const { stop } = await runUntil(ECB, [...flags, ...args], "ECB listening on");
  return { url: `http://127.0.0.1:${port}`, stop };
}

/** POST /v1/{action} with an optional bearer token: `{status, body}`. */
export async function rest(url, action, payload, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${url}/v1/${action}`, { method: "POST", headers, body: JSON.stringify(payload) });
  return { status: response.status, body: await response.json() };
}

/** POSTs `body` (an object or raw text) to a backend operation with extra headers: `{status, body}`. */
export async function post(url, body, headers = {}) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: text });
  const answer = await response.text();
  return { status: response.status, body: answer ? JSON.parse(answer) : undefined, headers: response.headers };
}

/** The claims of a JWT, unverified (for assertions). */
export function claimsOf(jwt) {
  return JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString());
}

/** The header of a JWT. */
export function headerOf(jwt) {
  return JSON.parse(Buffer.from(jwt.split(".")[0], "base64url").toString());
}
