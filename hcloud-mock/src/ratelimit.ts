export interface RateLimitSnapshot {
  ok: boolean;
  limit: number;
  remaining: number;
  /** UNIX seconds when the bucket is full again, like the API's `RateLimit-Reset`. */
  reset: number;
}

/** Hetzner's budget: a bucket of `limit` requests refilled continuously (3600/h refills 1 per second). */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly limit: number,
    readonly refillPerSecond: number,
    private readonly now: () => number = Date.now,
    /** Tokens at start (default: full), e.g. a project whose budget other clients have mostly spent. */
    initial: number = limit,
  ) {
    this.tokens = Math.max(0, Math.min(limit, initial));
    this.updatedAt = now();
  }

  take(): RateLimitSnapshot {
    this.refill();
    const ok = this.tokens >= 1;
    if (ok) this.tokens -= 1;
    return this.snapshot(ok);
  }

  peek(): RateLimitSnapshot {
    this.refill();
    return this.snapshot(true);
  }

  reset(): void {
    this.tokens = this.limit;
    this.updatedAt = this.now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.limit, this.tokens + ((t - this.updatedAt) / 1000) * this.refillPerSecond);
    this.updatedAt = t;
  }

  private snapshot(ok: boolean): RateLimitSnapshot {
    const remaining = Math.floor(this.tokens);
    const missing = this.limit - this.tokens;
    const secondsToFull = this.refillPerSecond > 0 ? Math.ceil(missing / this.refillPerSecond) : 0;
    return { ok, limit: this.limit, remaining, reset: Math.floor(this.now() / 1000) + secondsToFull };
  }
}
