// Jittered exponential backoff for reconnection.
import type { BackoffOptions } from "./types.js";

export class Backoff {
  private readonly min: number;
  private readonly max: number;
  private readonly factor: number;
  private attempt = 0;

  constructor({ minDelayMs = 250, maxDelayMs = 10_000, factor = 2 }: BackoffOptions = {}) {
    this.min = minDelayMs;
    this.max = Math.max(minDelayMs, maxDelayMs);
    this.factor = factor;
  }

  /** The next delay: `min · factor^attempt` capped at `max`, then a random point in its upper half. */
  next(): number {
    const ceiling = Math.min(this.max, this.min * this.factor ** this.attempt);
    this.attempt += 1;
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  /** After a successful connection: start from `min` again. */
  reset(): void {
    this.attempt = 0;
  }
}
