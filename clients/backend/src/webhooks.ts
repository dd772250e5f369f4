// Standard Webhooks (https://www.standardwebhooks.com): how a backend tells ECB's calls from anyone else's.
//
// With ECB_BACKEND_SECRET set, ECB signs every backend call: `webhook-id`,
// `webhook-timestamp` (epoch seconds) and `webhook-signature`, a
// space-separated list of `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`.
// The key is the secret's base64 after `whsec_`. The signature covers the raw
// body bytes, so verification must see the body before any JSON parser does.
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { WebhookVerificationError } from "./errors.js";

/** Request headers as node:http, fetch or a plain object hold them. */
export type HeaderSource =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>;

/** One header's value, whatever holds the headers (names are case-insensitive). */
export function headerValue(headers: HeaderSource, name: string): string | undefined {
  if (typeof headers.get === "function") return (headers as { get(n: string): string | null }).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const lower = name.toLowerCase();
  const key = Object.keys(record).find((k) => k.toLowerCase() === lower);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}

export interface WebhookOptions {
  /** How far a timestamp may be from now, either way, in seconds; default 300 (the standard's 5 minutes). */
  toleranceSeconds?: number;
  /** The clock, in epoch milliseconds (tests move it). */
  now?: () => number;
}

/** What a verified call was: its id and timestamp (seconds), e.g. to refuse replays. */
export interface VerifiedWebhook {
  id: string;
  timestamp: number;
}

/** The signing key of a secret: `whsec_<base64>` (the prefix may be left out), or the raw key bytes. */
export function webhookKey(secret: string | Uint8Array): Buffer {
  if (typeof secret !== "string") return Buffer.from(secret);
  const encoded = secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw new TypeError("webhook secret is not whsec_<base64>");
  return Buffer.from(encoded, "base64");
}

/**
 * Signs and verifies Standard Webhooks signatures with one secret, the same
 * `ECB_BACKEND_SECRET` ECB signs with. `verify` is what a backend does with
 * every call; `sign` and `headers` let tests and tools call a backend as ECB would.
 */
export class Webhook {
  private readonly key: Buffer;
  private readonly toleranceSeconds: number;
  private readonly now: () => number;

  constructor(secret: string | Uint8Array, options: WebhookOptions = {}) {
    this.key = webhookKey(secret);
    if (this.key.length === 0) throw new TypeError("webhook secret is empty");
    this.toleranceSeconds = options.toleranceSeconds ?? 300;
    this.now = options.now ?? Date.now;
  }

  /** The `webhook-signature` value for an id, a timestamp (epoch seconds) and the body. */
  sign(id: string, timestamp: number, body: string | Uint8Array): string {
    return `v1,${this.digest(id, timestamp, body).toString("base64")}`;
  }

  /** The three headers ECB would send with `body` (a fresh id, the time now). */
  headers(body: string | Uint8Array, id = `msg_${randomUUID().replace(/-/g, "")}`): Record<string, string> {
    const timestamp = Math.floor(this.now() / 1000);
    return {
      "webhook-id": id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": this.sign(id, timestamp, body),
    };
  }

  /**
   * Checks a call's headers against its raw body. Throws a
   * WebhookVerificationError when a header is missing, the timestamp is
   * outside the tolerance, or no listed signature matches (compared in
   * constant time).
   */
  verify(body: string | Uint8Array, headers: HeaderSource): VerifiedWebhook {
    const id = headerValue(headers, "webhook-id");
    const stamp = headerValue(headers, "webhook-timestamp");
    const signatures = headerValue(headers, "webhook-signature");
    if (!id || !stamp || !signatures) throw new WebhookVerificationError("missing webhook signature headers");
    if (!/^\d{1,15}$/.test(stamp)) throw new WebhookVerificationError("webhook-timestamp is not epoch seconds");
    const timestamp = Number(stamp);
    const now = Math.floor(this.now() / 1000);
    if (Math.abs(now - timestamp) > this.toleranceSeconds) {
      throw new WebhookVerificationError("webhook-timestamp is too old or too new");
    }
    const expected = this.digest(id, timestamp, body);
    const matches = signatures.split(" ").some((candidate) => {
      if (!candidate.startsWith("v1,")) return false;
      const given = Buffer.from(candidate.slice(3), "base64");
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    if (!matches) throw new WebhookVerificationError("no matching webhook signature");
    return { id, timestamp };
  }

  private digest(id: string, timestamp: number, body: string | Uint8Array): Buffer {
    return createHmac("sha256", this.key).update(`${id}.${timestamp}.`).update(body).digest();
  }
}

/**
 * Remembers the ids of verified calls for as long as their timestamps are
 * acceptable, so a captured call cannot be sent again inside the tolerance
 * window. ECB gives every call, retries included, a fresh id. In memory and
 * bounded: with several backend processes each one guards itself.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly toleranceSeconds = 300,
    private readonly maxEntries = 100_000,
  ) {}

  /** Records a call; throws a WebhookVerificationError when its id was seen already. */
  check({ id, timestamp }: VerifiedWebhook, nowMs = Date.now()): void {
    const now = Math.floor(nowMs / 1000);
    for (const [seenId, expires] of this.seen) {
      if (expires >= now && this.seen.size < this.maxEntries) break;
      this.seen.delete(seenId);
    }
    if (this.seen.has(id)) throw new WebhookVerificationError("webhook-id was already used");
    this.seen.set(id, Math.max(timestamp, now) + this.toleranceSeconds);
  }
}
