// Idempotency-Key: a resent createThread or addThreadMessage must store once.
//
// ecb-client resends an unacknowledged message with the same clientMessageId,
// which ECB forwards as `Idempotency-Key`. The handler keeps the first answer
// under that key (scoped to the operation and the user) and gives it back to
// every repeat, and runs a repeat that arrives while the first is still
// running only once.

/**
 * Where first answers are kept. Values are JSON text; `ttlMs` is how long the
 * key must be honoured. Share one store (Redis, a database table) between
 * backend processes behind a load balancer; the in-memory default serves one.
 */
export interface IdempotencyStore {
  get(key: string): Promise<string | undefined> | string | undefined;
  set(key: string, value: string, ttlMs: number): Promise<void> | void;
}

export interface MemoryIdempotencyStoreOptions {
  /** At most this many answers are kept; the oldest goes first. Default 10 000. */
  maxEntries?: number;
  /** The clock, in epoch milliseconds (tests move it). */
  now?: () => number;
}

/**
 * The default store: a bounded map in this process, oldest entries evicted
 * first, each entry dropped after its ttl.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, { value: string; expires: number }>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemoryIdempotencyStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** How many answers are kept now. */
  get size(): number {
    return this.entries.size;
  }

  get(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: string, ttlMs: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expires: this.now() + ttlMs });
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && entry.expires > this.now()) break;
      this.entries.delete(oldest);
    }
  }
}

/** The options of Idempotency. */
export interface IdempotencyOptions {
  /** Default: a MemoryIdempotencyStore. */
  store?: IdempotencyStore;
  /** How long a key is honoured, in ms; default 24 hours. */
  ttlMs?: number;
}

/**
 * Runs a storing operation once per key: the first run's result is kept in
 * the store, repeats get it back, and a repeat arriving while the first run
 * is in flight waits for it. A run that throws keeps nothing, so the client's
 * next resend tries again.
 */
export class Idempotency {
  private readonly store: IdempotencyStore;
  private readonly ttlMs: number;
  private readonly running = new Map<string, Promise<unknown>>();

  constructor(options: IdempotencyOptions = {}) {
    this.store = options.store ?? new MemoryIdempotencyStore();
    this.ttlMs = options.ttlMs ?? 24 * 3600 * 1000;
  }

  /** The key of an (operation, user, Idempotency-Key): a key is the client's, so users cannot collide. */
  static scope(operation: string, userId: string, key: string): string {
    return JSON.stringify([operation, userId, key]);
  }

  /** `run()`'s result, computed once per `key` (undefined: no key, run every time). */
  async once<T>(key: string | undefined, run: () => Promise<T>): Promise<T> {
    if (key === undefined) return run();
    const stored = await this.store.get(key);
    if (stored !== undefined) return JSON.parse(stored) as T;
    const inFlight = this.running.get(key);
    if (inFlight) return structuredClone((await inFlight) as T);
    const first = (async () => {
      const result = await run();
      await this.store.set(key, JSON.stringify(result), this.ttlMs);
      return result;
    })();
    this.running.set(key, first);
    try {
      return await first;
    } finally {
      this.running.delete(key);
    }
  }
}
