// RS256 JWTs with node:crypto: the userTokens, threadTokens and serverTokens ECB verifies.
//
// ECB holds only public keys and accepts RS256 alone. It picks the key by the
// token's `kid`, a key's id being its PEM file's name without `.pem`, so the
// signer always writes the `kid` of the key it used. Rotation: sign with a new
// key once ECB has its public key too, and keep verifying with the old one
// until the tokens it signed have expired.
import { createPrivateKey, createPublicKey, KeyObject, sign, verify } from "node:crypto";
import { basename } from "node:path";
import { TokenError } from "./errors.js";
import type { User } from "./types.js";

/** A key as node:crypto takes it: PEM text, a Buffer of PEM, or a KeyObject. */
export type KeyInput = string | Buffer | KeyObject;

/** A private key with the id ECB knows its public half by. */
export interface SigningKey {
  /** ECB's key id: the public key file's name without `.pem` (`keys/2026-11.pem` → `2026-11`). */
  kid: string;
  privateKey: KeyInput;
}

/** A public key that verifies tokens but no longer signs (a retired key). */
export interface VerificationKey {
  kid: string;
  publicKey: KeyInput;
}

/** Token lifetimes, in seconds. */
export interface TokenLifetimes {
  /** Default 12 hours; ecb-client refreshes a userToken within 60 s of its exp. */
  userToken?: number;
  /** Default 12 hours; every answer carrying a thread carries a fresh one. */
  threadToken?: number;
  /** Default 60 s: PROTOCOL.md wants serverTokens short-lived, and one is minted per call. */
  serverToken?: number;
}

export interface TokenSignerOptions {
  /** The signing key, or several: the first signs, all of them verify. */
  keys: SigningKey | SigningKey[];
  /** Public keys that verify only (retired keys whose private half is gone). */
  verificationKeys?: VerificationKey[];
  /** `iss` of every token; set it when ECB runs with ECB_ISSUER. */
  issuer?: string;
  /** `aud` of every token; set it when ECB runs with ECB_AUDIENCE. */
  audience?: string;
  lifetimes?: TokenLifetimes;
  /** Clock leeway for `exp`/`nbf` when verifying, in seconds; default 30 (ECB's default). */
  leewaySeconds?: number;
  /** The clock, in epoch milliseconds (tests move it). */
  now?: () => number;
}

/** Per-token choices. */
export interface SignOptions {
  /** Lifetime in seconds, instead of the signer's default for the kind. */
  expiresIn?: number;
  /** More claims to carry (they never override the kind's own). */
  claims?: Record<string, unknown>;
}

/** The claims every token of this library carries. */
export interface BaseClaims {
  exp: number;
  iat: number;
  iss?: string;
  aud?: string | string[];
  nbf?: number;
  [claim: string]: unknown;
}

/** A userToken's claims: ECB copies `userId`, `displayName` and `data` into each backend call's `user`. */
export interface UserTokenClaims extends BaseClaims {
  userId: string;
  displayName?: string;
  data?: unknown;
}

/** A threadToken's claims: ECB lets exactly `memberIds` use the thread. */
export interface ThreadTokenClaims extends BaseClaims {
  threadId: string;
  memberIds: string[];
}

/** A serverToken's claims: the key to ECB's server API. */
export interface ServerTokenClaims extends BaseClaims {
  scope: "server";
}

/** What verifyJwt checks beyond the signature. */
export interface VerifyOptions {
  issuer?: string;
  audience?: string;
  leewaySeconds?: number;
  /** Epoch milliseconds; default Date.now(). */
  now?: number;
}

const DEFAULT_LIFETIMES: Required<TokenLifetimes> = {
  userToken: 12 * 3600,
  threadToken: 12 * 3600,
  serverToken: 60,
};

/** A key's id from its PEM file's path, as ECB derives it: the file name without `.pem`. */
export function keyIdFromPath(file: string): string {
  return basename(file).replace(/\.pem$/i, "");
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

function rsaKey(key: KeyObject, kid: string): KeyObject {
  if (key.asymmetricKeyType !== "rsa") {
    throw new TypeError(`key ${kid} is ${key.asymmetricKeyType ?? "symmetric"}, but ECB accepts RS256 (RSA) only`);
  }
  return key;
}

function privateKeyObject(key: SigningKey): KeyObject {
  const object = key.privateKey instanceof KeyObject ? key.privateKey : createPrivateKey(key.privateKey);
  if (object.type !== "private") throw new TypeError(`key ${key.kid} is not a private key`);
  return rsaKey(object, key.kid);
}

function publicKeyObject(kid: string, key: KeyInput): KeyObject {
  return rsaKey(key instanceof KeyObject && key.type === "public" ? key : createPublicKey(key), kid);
}

/** A signing key made ready: parsed once, its public half derived once. */
interface LoadedKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

function load(key: SigningKey): LoadedKey {
  const privateKey = privateKeyObject(key);
  return { kid: key.kid, privateKey, publicKey: createPublicKey(privateKey) };
}

/**
 * Signs `claims` as an RS256 JWT with `kid` in its header: the one primitive
 * under every token. Prefer TokenSigner, which adds the right claims.
 */
export function signJwt(claims: Record<string, unknown>, key: SigningKey): string {
  const signingInput = `${base64url({ alg: "RS256", typ: "JWT", kid: key.kid })}.${base64url(claims)}`;
  const signature = sign("sha256", Buffer.from(signingInput), privateKeyObject(key));
  return `${signingInput}.${signature.toString("base64url")}`;
}

function decodePart(part: string, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new TokenError("malformed", `token ${what} is not a JSON object`);
}

/**
 * Verifies an RS256 JWT as ECB does: RS256 only (`none`, HS256 and the rest
 * are refused whatever the key), the key named by `kid` or else each key,
 * then `exp` (required), `nbf`, and `iss`/`aud` when given. Returns the claims.
 */
export function verifyJwt(
  token: string,
  keys: ReadonlyArray<VerificationKey>,
  options: VerifyOptions = {},
): BaseClaims {
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) {
    throw new TokenError("malformed", "token is not a compact JWT");
  }
  const [head, body, signature] = parts as [string, string, string];
  const header = decodePart(head, "header");
  if (header.alg !== "RS256") throw new TokenError("algorithm", `token algorithm ${String(header.alg)} is not RS256`);
  const candidates = typeof header.kid === "string" ? keys.filter((k) => k.kid === header.kid) : keys;
  if (candidates.length === 0) throw new TokenError("unknown_key", `no key with id ${String(header.kid)}`);
  const input = Buffer.from(`${head}.${body}`);
  const sig = Buffer.from(signature, "base64url");
  const valid = candidates.some((k) => verify("sha256", input, publicKeyObject(k.kid, k.publicKey), sig));
  if (!valid) throw new TokenError("signature", "token signature does not verify");
  const claims = decodePart(body, "payload");
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const leeway = options.leewaySeconds ?? 30;
  if (typeof claims.exp !== "number") throw new TokenError("claims", "token has no numeric exp");
  if (now > claims.exp + leeway) throw new TokenError("expired", "token has expired");
  if (typeof claims.nbf === "number" && now + leeway < claims.nbf) {
    throw new TokenError("not_yet_valid", "token is not valid yet");
  }
  if (options.issuer !== undefined && claims.iss !== options.issuer) {
    throw new TokenError("claims", "token iss is not the expected issuer");
  }
  if (options.audience !== undefined) {
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.includes(options.audience)) throw new TokenError("claims", "token aud is not the expected audience");
  }
  return claims as BaseClaims;
}

/**
 * Issues and checks the tokens of one backend. One instance holds the current
 * signing key (and the keys being rotated out), the issuer and audience ECB
 * requires, and the lifetimes, so every token it issues is one ECB accepts.
 */
export class TokenSigner {
  private signing: LoadedKey[];
  private verifying: VerificationKey[];
  private readonly issuer?: string;
  private readonly audience?: string;
  private readonly lifetimes: Required<TokenLifetimes>;
  private readonly leewaySeconds: number;
  private readonly now: () => number;

  constructor(options: TokenSignerOptions) {
    const keys = Array.isArray(options.keys) ? options.keys : [options.keys];
    if (keys.length === 0) throw new TypeError("TokenSigner needs at least one signing key");
    this.signing = keys.map(load);
    this.verifying = (options.verificationKeys ?? []).map((k) => ({ kid: k.kid, publicKey: publicKeyObject(k.kid, k.publicKey) }));
    if (options.issuer !== undefined) this.issuer = options.issuer;
    if (options.audience !== undefined) this.audience = options.audience;
    this.lifetimes = { ...DEFAULT_LIFETIMES, ...options.lifetimes };
    this.leewaySeconds = options.leewaySeconds ?? 30;
    this.now = options.now ?? Date.now;
  }

  /** The id of the key that signs now. */
  get kid(): string {
    return this.signing[0]!.kid;
  }

  /** Every key id this signer verifies, current first. */
  get kids(): string[] {
    return this.keys().map((k) => k.kid);
  }

  /**
   * Starts signing with `key`. The previous keys keep verifying (userTokens
   * they signed are still out there) until `retire` drops them. Give ECB the
   * new public key before calling this.
   */
  rotate(key: SigningKey): this {
    this.signing = [load(key), ...this.signing.filter((k) => k.kid !== key.kid)];
    return this;
  }

  /** Stops trusting a key once every token it signed has expired. The signing key cannot be retired. */
  retire(kid: string): this {
    if (kid === this.kid) throw new Error(`key ${kid} signs now: rotate to another key first`);
    this.signing = this.signing.filter((k) => k.kid !== kid);
    this.verifying = this.verifying.filter((k) => k.kid !== kid);
    return this;
  }

  /** The public key ECB needs for `kid` (default: the signing key), as PEM: save it as `${kid}.pem`. */
  publicKeyPem(kid = this.kid): string {
    const key = this.keys().find((k) => k.kid === kid);
    if (!key) throw new Error(`no key ${kid}`);
    return publicKeyObject(kid, key.publicKey).export({ type: "spki", format: "pem" }).toString();
  }

  /** A userToken for a signed-in user: what getUserToken answers. */
  userToken(user: Pick<User, "userId" | "displayName" | "data">, options: SignOptions = {}): string {
    const claims: Record<string, unknown> = { userId: user.userId };
    if (user.displayName !== undefined) claims.displayName = user.displayName;
    if (user.data !== undefined) claims.data = user.data;
    return this.issue(claims, this.lifetimes.userToken, options);
  }

  /** A threadToken: lets exactly `memberIds` read and write `threadId` through ECB. */
  threadToken(threadId: string, memberIds: readonly string[], options: SignOptions = {}): string {
    return this.issue({ threadId, memberIds: [...memberIds] }, this.lifetimes.threadToken, options);
  }

  /** A short-lived serverToken for ECB's server API. */
  serverToken(options: SignOptions = {}): string {
    return this.issue({ scope: "server" }, this.lifetimes.serverToken, options);
  }

  /** Checks a token this backend signed (any key it still trusts) and returns its claims. */
  verify(token: string): BaseClaims {
    const options: VerifyOptions = { leewaySeconds: this.leewaySeconds, now: this.now() };
    if (this.issuer !== undefined) options.issuer = this.issuer;
    if (this.audience !== undefined) options.audience = this.audience;
    return verifyJwt(token, this.keys(), options);
  }

  /** Checks a userToken (e.g. the Bearer of a backend call) and returns its claims. */
  verifyUserToken(token: string): UserTokenClaims {
    const claims = this.verify(token);
    if (typeof claims.userId !== "string") throw new TokenError("claims", "not a userToken: no userId");
    return claims as UserTokenClaims;
  }

  /** Checks a threadToken and returns its claims. */
  verifyThreadToken(token: string): ThreadTokenClaims {
    const claims = this.verify(token);
    const members = claims.memberIds;
    if (typeof claims.threadId !== "string" || !Array.isArray(members) || !members.every((m) => typeof m === "string")) {
      throw new TokenError("claims", "not a threadToken: no threadId and memberIds");
    }
    return claims as ThreadTokenClaims;
  }

  private keys(): VerificationKey[] {
    return [...this.signing.map(({ kid, publicKey }) => ({ kid, publicKey })), ...this.verifying];
  }

  private issue(own: Record<string, unknown>, lifetime: number, options: SignOptions): string {
    const iat = Math.floor(this.now() / 1000);
    const claims: Record<string, unknown> = { ...options.claims, ...own, iat, exp: iat + (options.expiresIn ?? lifetime) };
    if (this.issuer !== undefined) claims.iss = this.issuer;
    if (this.audience !== undefined) claims.aud = this.audience;
    return signJwt(claims, this.signing[0]!);
  }
}
