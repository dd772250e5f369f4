// Unit tests of TokenSigner and the JWT primitives: the claims ECB reads, RS256
// only, kid selection, expiry, iss/aud and key rotation.
import assert from "node:assert/strict";
import { createHmac, generateKeyPairSync, sign, verify } from "node:crypto";
import { createRequire } from "node:module";
import { describe, test } from "node:test";
import { TokenError, TokenSigner, keyIdFromPath, signJwt, verifyJwt } from "../dist/esm/index.js";
import { claimsOf, headerOf, keyPair } from "./support.mjs";

const current = keyPair("2026-11");
const next = keyPair("2026-12");
const stranger = keyPair("2026-11"); // the same kid, another key
const NOW = 1_800_000_000_000;
const signer = (options = {}) => new TokenSigner({ keys: current, now: () => NOW, ...options });
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("tokens", () => {
  test("a userToken is RS256 with the kid and the claims ECB copies into `user`", () => {
    const token = signer().userToken({ userId: "alice", displayName: "Alice", data: { team: "blue" } });
    assert.deepEqual(headerOf(token), { alg: "RS256", typ: "JWT", kid: "2026-11" });
    const iat = NOW / 1000;
    assert.deepEqual(claimsOf(token), { userId: "alice", displayName: "Alice", data: { team: "blue" }, iat, exp: iat + 12 * 3600 });
    const [head, body, signature] = token.split(".");
    assert.ok(verify("sha256", Buffer.from(`${head}.${body}`), current.publicKey, Buffer.from(signature, "base64url")));
    // Optional claims stay out when absent.
    assert.deepEqual(Object.keys(claimsOf(signer().userToken({ userId: "bob" }))).sort(), ["exp", "iat", "userId"]);
  });

  test("threadTokens and serverTokens carry their claims; lifetimes and extra claims are per signer or per token", () => {
    const tokens = signer({ lifetimes: { threadToken: 600 } });
    const iat = NOW / 1000;
    assert.deepEqual(claimsOf(tokens.threadToken("t1", ["alice", "bob"])), { threadId: "t1", memberIds: ["alice", "bob"], iat, exp: iat + 600 });
    assert.deepEqual(claimsOf(tokens.serverToken()), { scope: "server", iat, exp: iat + 60 });
    const custom = claimsOf(tokens.userToken({ userId: "alice" }, { expiresIn: 5, claims: { tenant: "acme", userId: "mallory" } }));
    assert.equal(custom.exp, iat + 5);
    assert.equal(custom.tenant, "acme");
    assert.equal(custom.userId, "alice", "extra claims never override the kind's own");
  });

  test("iss and aud go into every token when configured, and are checked", () => {
    const tokens = signer({ issuer: "https://chat.example.com", audience: "ecb" });
    for (const token of [tokens.userToken({ userId: "a" }), tokens.threadToken("t", ["a"]), tokens.serverToken()]) {
      assert.equal(claimsOf(token).iss, "https://chat.example.com");
      assert.equal(claimsOf(token).aud, "ecb");
      tokens.verify(token);
    }
    const plain = signer().userToken({ userId: "a" });
    assert.throws(() => tokens.verify(plain), (e) => e instanceof TokenError && e.reason === "claims");
    const otherAudience = signer({ issuer: "https://chat.example.com", audience: "other" }).userToken({ userId: "a" });
    assert.throws(() => tokens.verify(otherAudience), /aud/);
  });

  test("verification is RS256 only: none, HS256 with the public key as secret, and tampering are refused", () => {
    const tokens = signer();
    const claims = { userId: "alice", exp: NOW / 1000 + 60 };
    const none = `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`;
    assert.throws(() => tokens.verify(none), (e) => e.reason === "algorithm");
    const hsInput = `${b64({ alg: "HS256", typ: "JWT", kid: "2026-11" })}.${b64(claims)}`;
    const hs = `${hsInput}.${createHmac("sha256", current.publicKey).update(hsInput).digest("base64url")}`;
    assert.throws(() => tokens.verify(hs), (e) => e.reason === "algorithm");
    const good = tokens.userToken({ userId: "alice" });
    const [head, , signature] = good.split(".");
    const forged = `${head}.${b64({ ...claimsOf(good), userId: "mallory" })}.${signature}`;
    assert.throws(() => tokens.verify(forged), (e) => e.reason === "signature");
    assert.throws(() => tokens.verify(signJwt(claims, stranger)), (e) => e.reason === "signature");
    assert.throws(() => tokens.verify(signJwt(claims, { ...next, kid: "unknown" })), (e) => e.reason === "unknown_key");
    assert.throws(() => tokens.verify("not.a.jwt!"), (e) => e.reason === "malformed");
    assert.throws(() => tokens.verify(signJwt({ userId: "x" }, current)), (e) => e.reason === "claims", "exp is required");
  });

  test("exp and nbf are checked with the leeway", () => {
    const exp = NOW / 1000;
    const token = signJwt({ userId: "a", exp }, current);
    const at = (ms, leewaySeconds) => new TokenSigner({ keys: current, now: () => ms, leewaySeconds });
    at(NOW + 30_000).verify(token); // within the default 30 s
    assert.throws(() => at(NOW + 31_000).verify(token), (e) => e.reason === "expired");
    assert.throws(() => at(NOW + 1_000, 0).verify(token), (e) => e.reason === "expired");
    const early = signJwt({ userId: "a", exp: exp + 3600, nbf: exp + 60 }, current);
    assert.throws(() => at(NOW).verify(early), (e) => e.reason === "not_yet_valid");
    at(NOW + 30_000).verify(early);
  });

  test("a token without kid is tried against every key", () => {
    const input = `${b64({ alg: "RS256", typ: "JWT" })}.${b64({ userId: "a", exp: NOW / 1000 + 60 })}`;
    const noKid = `${input}.${sign("sha256", Buffer.from(input), next.privateKey).toString("base64url")}`;
    const keys = [{ kid: "2026-11", publicKey: current.publicKey }, { kid: "2026-12", publicKey: next.publicKey }];
    assert.equal(verifyJwt(noKid, keys, { now: NOW }).userId, "a");
  });

  test("rotation: the new key signs, the old one still verifies until retired", () => {
    const tokens = signer();
    const before = tokens.userToken({ userId: "alice" });
    tokens.rotate(next);
    assert.equal(tokens.kid, "2026-12");
    assert.deepEqual(tokens.kids, ["2026-12", "2026-11"]);
    const after = tokens.userToken({ userId: "alice" });
    assert.equal(headerOf(after).kid, "2026-12");
    assert.equal(tokens.verifyUserToken(before).userId, "alice");
    assert.equal(tokens.verifyUserToken(after).userId, "alice");
    assert.throws(() => tokens.retire("2026-12"), /rotate/);
    tokens.retire("2026-11");
    assert.throws(() => tokens.verify(before), (e) => e.reason === "unknown_key");
    // A retired key's public half may stay trusted on its own.
    const verifying = new TokenSigner({ keys: next, verificationKeys: [{ kid: "2026-11", publicKey: current.publicKey }], now: () => NOW });
    assert.equal(verifying.verifyUserToken(before).userId, "alice");
  });

  test("typed verification, public keys for ECB, key ids from file names, RSA only", () => {
    const tokens = signer();
    assert.throws(() => tokens.verifyUserToken(tokens.serverToken()), /userToken/);
    assert.deepEqual(tokens.verifyThreadToken(tokens.threadToken("t1", ["a"])).memberIds, ["a"]);
    assert.throws(() => tokens.verifyThreadToken(tokens.userToken({ userId: "a" })), /threadToken/);
    assert.equal(tokens.publicKeyPem(), current.publicKey);
    assert.equal(keyIdFromPath("/etc/ecb/keys/2026-11.pem"), "2026-11");
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    assert.throws(() => new TokenSigner({ keys: { kid: "ec", privateKey: ec.privateKey } }), /RS256/);
    assert.throws(() => new TokenSigner({ keys: [] }), /at least one/);
  });

  test("the CommonJS build exports the same API", () => {
    const cjs = createRequire(import.meta.url)("../dist/cjs/index.js");
    const tokens = new cjs.TokenSigner({ keys: current });
    assert.equal(tokens.verifyUserToken(tokens.userToken({ userId: "alice" })).userId, "alice");
    assert.equal(typeof cjs.backendHandler, "function");
    assert.equal(typeof cjs.ServerApi, "function");
  });
});
