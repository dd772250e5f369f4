// Unit tests of Standard Webhooks verification and the replay guard.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ReplayGuard, Webhook, WebhookVerificationError } from "../dist/esm/index.js";

// The example of the Standard Webhooks specification (also ECB's signer test).
const SPEC = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};
const at = (seconds) => () => seconds * 1000;
const headersOf = (signature, timestamp = SPEC.timestamp, id = SPEC.id) => ({
  "webhook-id": id,
  "webhook-timestamp": String(timestamp),
  "webhook-signature": signature,
});
const refused = (fn, pattern) => assert.throws(fn, (e) => e instanceof WebhookVerificationError && pattern.test(e.message));

describe("Standard Webhooks", () => {
  test("signs the specification's example and verifies it, from any kind of headers", () => {
    const webhook = new Webhook(SPEC.secret, { now: at(SPEC.timestamp) });
    assert.equal(webhook.sign(SPEC.id, SPEC.timestamp, SPEC.body), SPEC.signature);
    assert.deepEqual(webhook.verify(SPEC.body, headersOf(SPEC.signature)), { id: SPEC.id, timestamp: SPEC.timestamp });
    webhook.verify(Buffer.from(SPEC.body), new Headers(headersOf(SPEC.signature)));
    webhook.verify(SPEC.body, { "Webhook-Id": SPEC.id, "WEBHOOK-TIMESTAMP": [String(SPEC.timestamp)], "webhook-signature": SPEC.signature });
    // The prefix is optional, raw key bytes work too.
    new Webhook(SPEC.secret.slice(6), { now: at(SPEC.timestamp) }).verify(SPEC.body, headersOf(SPEC.signature));
    new Webhook(Buffer.from(SPEC.secret.slice(6), "base64"), { now: at(SPEC.timestamp) }).verify(SPEC.body, headersOf(SPEC.signature));
  });

  test("any one of several space-separated signatures may match; other versions are ignored", () => {
    const webhook = new Webhook(SPEC.secret, { now: at(SPEC.timestamp) });
    webhook.verify(SPEC.body, headersOf(`v1,bm90IGl0 v1a,xyz ${SPEC.signature}`));
    refused(() => webhook.verify(SPEC.body, headersOf(`v2,${SPEC.signature.slice(3)}`)), /no matching/);
  });

  test("refuses a tampered body, a wrong secret, a stale or future timestamp, and missing headers", () => {
    const webhook = new Webhook(SPEC.secret, { now: at(SPEC.timestamp + 300) });
    webhook.verify(SPEC.body, headersOf(SPEC.signature)); // 300 s old: still inside the tolerance
    refused(() => webhook.verify('{"test": 2432232315}', headersOf(SPEC.signature)), /no matching/);
    const wrong = new Webhook("whsec_" + Buffer.from("another secret").toString("base64"), { now: at(SPEC.timestamp) });
    refused(() => wrong.verify(SPEC.body, headersOf(SPEC.signature)), /no matching/);
    refused(() => new Webhook(SPEC.secret, { now: at(SPEC.timestamp + 301) }).verify(SPEC.body, headersOf(SPEC.signature)), /too old/);
    refused(() => new Webhook(SPEC.secret, { now: at(SPEC.timestamp - 301) }).verify(SPEC.body, headersOf(SPEC.signature)), /too new/);
    refused(() => webhook.verify(SPEC.body, { "webhook-signature": SPEC.signature }), /missing/);
    refused(() => webhook.verify(SPEC.body, headersOf(SPEC.signature, "1614265330.5")), /epoch seconds/);
    assert.throws(() => new Webhook("whsec_not base64!"), /whsec_/);
  });

  test("headers() signs a body as ECB would", () => {
    const webhook = new Webhook(SPEC.secret);
    const headers = webhook.headers(SPEC.body);
    assert.match(headers["webhook-id"], /^msg_[0-9a-f]{32}$/);
    assert.equal(webhook.verify(SPEC.body, headers).id, headers["webhook-id"]);
  });

  test("the replay guard refuses an id seen inside the window and forgets it after", () => {
    const guard = new ReplayGuard(300, 3);
    guard.check({ id: "a", timestamp: 1000 }, 1000_000);
    assert.throws(() => guard.check({ id: "a", timestamp: 1000 }, 1001_000), /already used/);
    guard.check({ id: "a", timestamp: 1400 }, 1400_000); // expired from the guard: the timestamp check refuses it anyway
    for (const id of ["b", "c", "d", "e"]) guard.check({ id, timestamp: 1400 }, 1400_000); // bounded: "a" is evicted
    guard.check({ id: "a", timestamp: 1400 }, 1400_000);
  });
});
