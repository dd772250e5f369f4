// The demo chat page in a real browser: Debian's chromium driven by
// playwright-core against a real `ecb demo`. Two pages, alice and bob, chat
// both ways and see each other typing and online; a screenshot is saved to
// tests/artifacts/.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
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
  return {
    pageUrl,
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

  /** A page signed in as `user`, with the alice-bob thread open. */
  async function signIn(user, transport) {
    const page = await context.newPage();
    page.setDefaultTimeout(PATIENCE);
    page.on("pageerror", (error) => errors.push(`${user}: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(`${user}: ${message.text()}`);
    });
    await page.goto(`${demo.pageUrl}?transport=${transport}`);
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
});
