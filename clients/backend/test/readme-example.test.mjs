// The README's Express backend (examples/express.mjs, quoted verbatim in the
// README) behind the real ecb: ecb-client users chat through it, it serves the
// demo page, and its /announce route publishes through the server API.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { connect } from "ecb-client";
import { PACKAGE, freePort, keyPair, nextEvent, rest, runUntil, startEcb, tempDir, writeKeyFiles } from "./support.mjs";

const EXAMPLE = path.join(PACKAGE, "examples/express.mjs");
const SECRET = "whsec_" + Buffer.from("the README example's shared secret").toString("base64");

describe("the README's Express backend", () => {
  const clients = [];
  let keys, backend, ecb, backendUrl;
  const open = async (user) => {
    const client = await connect({ url: ecb.url, accessToken: user });
    clients.push(client);
    return client;
  };

  before(async () => {
    keys = tempDir();
    const key = keyPair("2026-11");
    const privateKeyFile = path.join(keys.dir, "2026-11.private.key");
    writeFileSync(privateKeyFile, key.privateKey);
    const [backendPort, ecbPort] = [await freePort(), await freePort()];
    backendUrl = `http://127.0.0.1:${backendPort}`;
    const env = {
      PORT: String(backendPort),
      ECB_URL: `http://127.0.0.1:${ecbPort}`,
      KEY_ID: key.kid,
      PRIVATE_KEY_FILE: privateKeyFile,
      ECB_BACKEND_SECRET: SECRET,
    };
    backend = await runUntil(process.execPath, [EXAMPLE], "Backend on", env);
    ecb = await startEcb({
      backendUrl: `${backendUrl}/ecb`,
      keyFiles: writeKeyFiles(keys.dir, [key]),
      secret: SECRET,
      port: ecbPort,
    });
  });
  after(async () => {
    clients.forEach((c) => c.close());
    await ecb?.stop();
    await backend?.stop();
    keys?.remove();
  });

  test("is quoted verbatim in the README and is under 60 lines", () => {
    const example = readFileSync(EXAMPLE, "utf8");
    const readme = readFileSync(path.join(PACKAGE, "README.md"), "utf8");
    assert.ok(readme.includes("```js\n" + example + "```"), "README.md quotes examples/express.mjs");
    assert.ok(example.trimEnd().split("\n").length < 60);
  });

  test("ecb-client users sign in, list, create and open threads and chat; resends store once", async () => {
    const alice = await open("alice");
    const bob = await open("bob");
    assert.deepEqual((await alice.getContacts()).items.map((u) => u.displayName), ["Bob", "Carol", "Dave"]);
    const { thread } = await alice.createThread({ memberIds: ["bob"], data: { title: "Plans" }, message: { type: "text", data: "hi bob" } });
    const bobs = (await bob.getThreads()).items.find((t) => t.threadId === thread.threadId);
    assert.deepEqual(bobs.data, { title: "Plans" });
    const opened = await bob.getThread(bobs.threadToken);
    assert.deepEqual(opened.messages.map((m) => [m.senderId, m.data]), [["alice", "hi bob"]]);

    const pushed = nextEvent(bob, "message", (p) => p.threadId === thread.threadId);
    const ack = await alice.sendMessage(thread.threadToken, { type: "text", data: "lunch?" });
    assert.deepEqual((await pushed).message, ack);

    const userToken = (await rest(ecb.url, "getUserToken", { accessToken: "alice" })).body.result.userToken;
    const resend = { threadToken: thread.threadToken, message: { clientMessageId: "same-1", type: "text", data: "once" } };
    const [first, second] = [await rest(ecb.url, "sendMessage", resend, userToken), await rest(ecb.url, "sendMessage", resend, userToken)];
    assert.equal(first.body.result.messageId, second.body.result.messageId);
    const { messages } = await bob.getThread(bobs.threadToken);
    assert.deepEqual(messages.map((m) => m.data), ["hi bob", "lunch?", "once"]);
  });

  test("publishes an announcement to the clients in the welcome thread, and serves the demo page", async () => {
    const carol = await open("carol");
    await carol.getThread((await carol.getThreads()).items.find((t) => t.threadId === "welcome").threadToken);
    const pushed = nextEvent(carol, "message", (p) => p.threadId === "welcome");
    const response = await fetch(`${backendUrl}/announce`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "release at 5" }),
    });
    assert.ok((await response.json()).delivered >= 1);
    const { message } = await pushed;
    assert.deepEqual([message.senderId, message.data], ["system", "release at 5"]);

    const page = await fetch(`${backendUrl}/`);
    assert.match(await page.text(), /<html/i);
    assert.deepEqual(await (await fetch(`${backendUrl}/config.json`)).json(), { ecbUrl: ecb.url });
    for (const file of ["app.js", "style.css", "ecb-client.js"]) {
      assert.equal((await fetch(`${backendUrl}/${file}`)).status, 200, file);
    }
  });
});
