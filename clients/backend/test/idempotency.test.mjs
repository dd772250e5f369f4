// Unit tests of the idempotency store and of running once per key.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Idempotency, MemoryIdempotencyStore } from "../dist/esm/index.js";
import { sleep } from "./support.mjs";

describe("idempotency", () => {
  test("the memory store is bounded and forgets after the ttl", () => {
    let now = 0;
    const store = new MemoryIdempotencyStore({ maxEntries: 2, now: () => now });
    store.set("a", "1", 1000);
    store.set("b", "2", 1000);
    store.set("c", "3", 1000);
    assert.equal(store.size, 2);
    assert.equal(store.get("a"), undefined, "the oldest is evicted first");
    assert.equal(store.get("c"), "3");
    now = 1000;
    assert.equal(store.get("b"), undefined, "expired");
  });

  test("runs once per key, concurrent repeats included; a failed run keeps nothing", async () => {
    const once = new Idempotency();
    let runs = 0;
    const work = async () => {
      runs += 1;
      await sleep(20);
      return { n: runs };
    };
    const [first, second] = await Promise.all([once.once("k", work), once.once("k", work)]);
    assert.deepEqual([first, second, runs], [{ n: 1 }, { n: 1 }, 1]);
    assert.notEqual(first, second, "each caller gets its own copy");
    assert.deepEqual(await once.once("k", work), { n: 1 });
    assert.deepEqual(await once.once(undefined, work), { n: 2 }, "no key: runs every time");
    await assert.rejects(once.once("boom", async () => Promise.reject(new Error("down"))));
    assert.deepEqual(await once.once("boom", async () => "stored now"), "stored now");
    assert.notEqual(Idempotency.scope("addThreadMessage", "alice", "k"), Idempotency.scope("addThreadMessage", "bob", "k"));
  });
});
