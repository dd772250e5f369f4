// The demo chat page in a real browser: Debian's chromium driven by
// playwright-core against a real `ecb demo`. Two pages, alice and bob, chat
// both ways and see each other typing and online; one recovers what it
// missed while its network was down, loads older messages and shows "seen";
// screenshots are saved to tests/artifacts/.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, "../..");
const ECB = process.env.ECB_BIN ?? path.join(ROOT, "target/debug/ecb");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const ARTIFACTS = path.join(ROOT, "tests/artifacts");
const PATIENCE = 10000;

/** `ecb demo` on free ports; resolves with the URL of the demo backend (which serves the page). */
async function startDemo() {
  const env = { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" };
  const args = ["demo", "--listen", "127.0.0.1:0", "--backend-listen", "127.0.0.1:0"];
  const child = spawn(ECB, args, { stdio: ["ignore", "pipe", "inherit"], env });
  let output = "";
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("ecb demo did not start")), 20000);
    child.stdout.on("data", (chunk) => {
      output += chunk;
      if (output.includes("Press Ctrl-C")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", (code) => reject(new Error(`ecb exited with ${code}`)));
  });
  const pageUrl = output.split("Chat page:")[1].trim().split(/\s+/)[0];
  const ecbUrl = output.split("ECB:")[1].trim().split(/\s+/)[0];
  return {
    pageUrl,
    ecbUrl,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}

describe("the demo chat page in chromium", () => {
  let demo;
  let context;
  let profile;
  const errors = [];

  before(async () => {
    const bundle = path.join(ROOT, "clients/js/dist/ecb-client.js");
    assert.ok(existsSync(bundle), `${bundle} is missing: cd clients/js && npm ci && npm run build`);
    demo = await startDemo();
    profile = mkdtempSync(path.join(os.tmpdir(), "ecb-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1040, height: 640 },
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await context?.close();
    await demo?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  /** A page signed in as `user`, with the alice-bob thread open; `ecb` overrides where ECB is. */
  async function signIn(user, transport, ecb) {
    const page = await context.newPage();
    page.setDefaultTimeout(PATIENCE);
    page.on("pageerror", (error) => errors.push(`${user}: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(`${user}: ${message.text()}`);
    });
    const through = ecb ? `&ecb=${encodeURIComponent(ecb)}` : "";
    await page.goto(`${demo.pageUrl}?transport=${transport}${through}`);
    await page.click(`button[data-user="${user}"]`);
    await page.locator("#state", { hasText: "online" }).waitFor();
    await page.click('button[data-thread="alice-bob"]');
    await page.locator("#thread-title", { hasText: "Alice and Bob" }).waitFor();
    return page;
  }

  /** `from` types (the other page sees it typing), then sends; `to` receives the message. */
  async function chat(from, to, fromName, text) {
    await from.locator("#text").pressSequentially(text.slice(0, 3));
    await to.locator("#typing", { hasText: `${fromName} is typing…` }).waitFor();
    await from.fill("#text", text);
    await from.press("#text", "Enter");
    await to.locator(".message.theirs p", { hasText: text }).waitFor();
    await from.locator(".message.mine:not(.pending) p", { hasText: text }).waitFor();
    // Sending stops the typing signal.
    await to.locator("#typing", { hasText: /^$/ }).waitFor();
  }

  for (const [transport, shot] of [
    ["socket.io", "chat.png"],
    ["websocket", "chat-websocket.png"],
  ]) {
    test(`two users chat both ways over ${transport}, see typing and presence`, async () => {
      const alice = await signIn("alice", transport);
      const bob = await signIn("bob", transport);
      // Each sees the other online in the thread.
      await alice.locator("#members li.online", { hasText: "Bob" }).waitFor();
      await bob.locator("#members li.online", { hasText: "Alice" }).waitFor();

      await chat(alice, bob, "Alice", `Hi Bob! Over ${transport} this time.`);
      await chat(bob, alice, "Bob", `Hello Alice, ${transport} loud and clear.`);
      await chat(alice, bob, "Alice", `Great, see you at the standup (${transport}).`);

      // Bob starts another message: alice's page shows him typing in the screenshot.
      await bob.locator("#text").pressSequentially("On my");
      await alice.locator("#typing", { hasText: "Bob is typing…" }).waitFor();
      await alice.screenshot({ path: path.join(ARTIFACTS, shot) });

      assert.equal(await alice.locator(".message").count(), await bob.locator(".message").count());
      // Bob leaves: alice sees him go offline.
      await bob.close();
      await alice.locator("#members li:not(.online)", { hasText: "Bob" }).waitFor();
      await alice.close();
      assert.deepEqual(errors, []);
    });
  }

  test("after the network drops, the page recovers what it missed, loads older messages and shows seen", async () => {
    // Alice's page reaches ECB through a proxy that can cut her network.
    const proxy = await startProxy(Number(new URL(demo.ecbUrl).port));
    try {
      // More history than getThread's 50 recent messages, sent over REST.
      const bobToken = await userToken("bob");
      const threadToken = await threadTokenOf(bobToken, "alice-bob");
      for (let i = 0; i < 55; i++) {
        await sendOverRest(bobToken, threadToken, `history ${i}`);
        await sleep(55);
      }
      const alice = await signIn("alice", "socket.io", proxy.url);
      const bob = await signIn("bob", "socket.io");
      await alice.locator(".message.theirs p", { hasText: "history 54" }).waitFor();
      assert.equal(await alice.locator(".message").count(), 50);
      const stored = (await rest("getMessages", { threadToken, pageSize: 200 }, bobToken)).messages.length;
      while (await alice.locator("#older").isVisible()) {
        const shown = await alice.locator(".message").count();
        await alice.click("#older");
        await alice.waitForFunction((n) => document.querySelectorAll(".message").length > n || document.getElementById("older").hidden, shown);
      }
      await alice.locator(".message.theirs p", { hasText: "history 0" }).waitFor();
      assert.equal(await alice.locator(".message").count(), stored, "every stored message, once");

      // The network drops; bob writes meanwhile; it comes back.
      proxy.block(true);
      proxy.cut();
      await alice.locator("#state", { hasText: "reconnecting" }).waitFor();
      for (const text of ["while you were away 1", "while you were away 2", "while you were away 3"]) {
        await bob.fill("#text", text);
        await bob.press("#text", "Enter");
        await bob.locator(".message.mine:not(.pending) p", { hasText: text }).waitFor();
      }
      proxy.block(false);
      await alice.locator("#state", { hasText: "online" }).waitFor({ timeout: 20000 });
      for (const n of [1, 2, 3]) await alice.locator(".message.theirs p", { hasText: `while you were away ${n}` }).waitFor();
      const texts = await alice.locator(".message p").allTextContents();
      assert.deepEqual(texts.slice(-3), ["while you were away 1", "while you were away 2", "while you were away 3"]);
      assert.equal(await alice.locator("#notice").isHidden(), true, "recovered, nothing to reload");

      // Alice's page read them: bob's last message says so.
      await bob.locator(".message.mine .seen", { hasText: "Seen by Alice" }).waitFor();
      await bob.screenshot({ path: path.join(ARTIFACTS, "chat-seen.png") });
      await alice.close();
      await bob.close();
      // The browser logs the requests the cut network failed; nothing else.
      const unexpected = errors.filter((e) => !/^alice: Failed to load resource: net::ERR_[A-Z_]+$/.test(e));
      assert.deepEqual(unexpected, []);
    } finally {
      await proxy.close();
    }
  });

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function rest(action, payload, token) {
    const headers = { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) };
    const response = await fetch(`${demo.ecbUrl}/v1/${action}`, { method: "POST", headers, body: JSON.stringify(payload) });
    const body = await response.json();
    assert.equal(body.ok, true, `${action}: ${JSON.stringify(body)}`);
    return body.result;
  }
  const userToken = async (user) => (await rest("getUserToken", { accessToken: user })).userToken;
  const threadTokenOf = async (token, threadId) =>
    (await rest("getThreads", {}, token)).items.find((t) => t.threadId === threadId).threadToken;
  const sendOverRest = (token, threadToken, data) =>
    rest("sendMessage", { threadToken, message: { type: "text", data } }, token);
});

/** A TCP proxy to 127.0.0.1:`port`: `cut()` drops its connections, `block()` refuses new ones. */
async function startProxy(port) {
  const pairs = new Set();
  let blocked = false;
  const server = net.createServer((client) => {
    if (blocked) return client.destroy();
    const upstream = net.connect(port, "127.0.0.1");
    const pair = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of pair) {
      socket.on("error", end);
      socket.on("close", end);
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const cut = () => pairs.forEach(([client, upstream]) => (client.destroy(), upstream.destroy()));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    block: (refuse) => (blocked = refuse),
    cut,
    close: async () => {
      cut();
      server.close();
      await once(server, "close");
    },
  };
}
