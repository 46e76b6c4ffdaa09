// Reads the RateLimit-* headers and, once the budget is spent, holds back the next request until the API can
// serve it, instead of burning retries on 429s. State is per client instance: nothing is shared globally.
import type { Handler, Sleep } from './types';

export interface RateLimitInfo {
  /** Requests per hour. */
  limit: number;
  remaining: number;
  /** UNIX time (seconds) when the full budget is back. */
  reset: number;
}

export class RateLimitState {
  info: RateLimitInfo | undefined;
  /** Epoch ms before which no request should be sent. */
  blockedUntilMs = 0;
  /** Refill time of one request, from the last headers; spaces out requests that wait together. */
  intervalMs = 0;
}

export interface RateLimitOptions {
  state: RateLimitState;
  sleep: Sleep;
  now: () => number;
  /** Upper bound for one wait, so a far-away or bogus Reset cannot stall the driver for an hour. */
  maxWaitMs: number;
}

export function rateLimitHandler(next: Handler, opts: RateLimitOptions): Handler {
  const { state } = opts;
  return async (req) => {
    const waitMs = state.blockedUntilMs - opts.now();
    if (waitMs > 0) {
      // Reserve the following slot for whoever waits next, so parallel callers do not all fire at the same moment.
      state.blockedUntilMs += state.intervalMs;
      await opts.sleep(waitMs, req.signal);
    }
    const res = await next(req);
    const info = readHeaders(res.headers);
    if (info) state.info = info;
    const code = (res.json as { error?: { code?: unknown } } | undefined)?.error?.code;
    const limited = res.status === 429 && code === 'rate_limit_exceeded';
    if (info && (info.remaining <= 0 || limited)) {
      const untilReset = info.reset * 1000 - opts.now();
      // The budget refills gradually (limit per hour), and Reset is when it is full again. After a successful
      // answer that spent the last request, one refilled request is enough; after a 429 our estimate (or another
      // process sharing the project) was wrong, so back off until Reset itself, within the cap.
      const interval = untilReset / Math.max(1, info.limit - Math.max(0, info.remaining));
      const wait = limited ? untilReset : interval;
      state.intervalMs = Math.min(Math.max(0, Math.ceil(interval)), opts.maxWaitMs);
      const until = opts.now() + Math.ceil(Math.min(wait, opts.maxWaitMs));
      if (wait > 0) state.blockedUntilMs = Math.max(state.blockedUntilMs, until);
    } else if (info && !limited) {
      // The API has budget again; a block set from an older answer must not delay anyone further.
      state.blockedUntilMs = 0;
    }
    return res;
  };
}

function readHeaders(h: Headers): RateLimitInfo | undefined {
  const limit = Number.parseInt(h.get('ratelimit-limit') ?? '', 10);
  const remaining = Number.parseInt(h.get('ratelimit-remaining') ?? '', 10);
  const reset = Number.parseInt(h.get('ratelimit-reset') ?? '', 10);
  if (!Number.isFinite(limit) || !Number.isFinite(remaining) || !Number.isFinite(reset)) return undefined;
  return { limit, remaining, reset };
}
