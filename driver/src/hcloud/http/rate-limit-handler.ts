// Reads the RateLimit-* headers and paces requests so that the project's budget is not overdrawn: while budget is
// left, requests go at once; once it is spent, each request reserves the next refill slot (one per refill interval,
// plus jitter), so callers that wait together are spread out instead of all firing at the same moment. Other
// processes spending the same bucket show in RateLimit-Remaining; their number is estimated from it (and from 429s)
// and each request then takes this process's share of the refill, spread at random. The state
// can be shared by every client of one process that uses the same endpoint and token (see sharedRateLimitState):
// concurrent operations of one process then draw on one estimate of the bucket instead of overdrawing it in turn.
import { createHash } from 'node:crypto';
import type { Handler, Sleep } from './types';

export interface RateLimitInfo {
  /** Requests per hour. */
  limit: number;
  remaining: number;
  /** UNIX time (seconds) when the full budget is back. */
  reset: number;
}

export class RateLimitState {
  /** The last headers seen. */
  info: RateLimitInfo | undefined;
  /**
   * Requests the API would still accept at `atMs`, net of our requests on the wire and of the slots reserved by
   * waiting callers; negative while callers wait for refills. Meaningless until the first headers arrive.
   */
  tokens = 0;
  atMs = 0;
  known = false;
  /** Refill time of one request. */
  intervalMs = 0;
  onWire = 0;
  /** Callers sleeping until their reserved slot. */
  reserved = 0;
  /**
   * How many clients like this one spend the bucket, as far as the headers tell (1: alone). Other processes are
   * seen only through RateLimit-Remaining: while the bucket is low, what it lost beyond our own accepted requests
   * (net of the refill) was theirs, so the ratio of all spending to ours is our count of sharers. Each 429 multiplies
   * it by four at once (up to 64: separate processes all start by thinking they are alone, and each 429 is a request
   * wasted); a bucket with budget to spare halves it. While the bucket holds less than a token per sharer,
   * a request takes its share of the refill (one slot every `sharers` intervals) with a random spread as wide.
   */
  sharers = 1;
  /** The window the sharers are measured over: when it began, the budget then, our accepted requests since. */
  window: { atMs: number; remaining: number; accepted: number } | null = null;
  /** Before the first headers, one request asks alone; the others wait for its answer. */
  probe: Promise<void> | null = null;
}

const shared = new Map<string, RateLimitState>();

/**
 * The rate-limit state of this process for one endpoint and token, so that all clients (one per driver instance)
 * share what they learn about the bucket. The token is kept only as a hash in the key.
 */
export function sharedRateLimitState(endpoint: string, token: string): RateLimitState {
  const key = `${endpoint}\n${createHash('sha256').update(token).digest('hex')}`;
  let state = shared.get(key);
  if (!state) {
    state = new RateLimitState();
    shared.set(key, state);
  }
  return state;
}

export interface RateLimitOptions {
  state: RateLimitState;
  sleep: Sleep;
  now: () => number;
  random: () => number;
  /** Upper bound for one wait, so a far-away or bogus Reset cannot stall the driver for an hour. */
  maxWaitMs: number;
  /** Random extra wait, as a fraction of one refill interval, added to every wait for a slot. Default 0.25. */
  jitter?: number;
}

/** Tokens refilled since the last estimate, up to the limit. */
function available(state: RateLimitState, now: number): number {
  const limit = state.info?.limit ?? Number.POSITIVE_INFINITY;
  if (state.intervalMs <= 0) return state.tokens;
  return Math.min(limit, state.tokens + Math.max(0, now - state.atMs) / state.intervalMs);
}

export function rateLimitHandler(next: Handler, opts: RateLimitOptions): Handler {
  const { state } = opts;
  const jitter = opts.jitter ?? 0.25;

  /** Waits for budget; resolves once this request may go (it then counts as on the wire). */
  const acquire = async (signal: AbortSignal | undefined): Promise<{ probing: (() => void) | null }> => {
    while (!state.known && state.probe) await state.probe;
    if (!state.known) {
      let done!: () => void;
      state.probe = new Promise<void>((r) => {
        done = r;
      });
      state.onWire++;
      return {
        probing: () => {
          state.probe = null;
          done();
        },
      };
    }
    const now = opts.now();
    const have = available(state, now);
    state.tokens = have - 1;
    state.atMs = now;
    // With others in the bucket, pace a quarter below the fair share: the refill then leaves a few requests in the
    // bucket, and requests that arrive together (the clients cannot agree on slots) still find one.
    const share = state.sharers > 1 ? state.sharers * SHARE_MARGIN : 1;
    if (have >= share) {
      state.onWire++;
      return { probing: null };
    }
    // Spent (or less left than a token per sharer): this caller takes its slot after those already reserved, one
    // every `share` refill intervals, plus a random spread: a little jitter when alone, `share` slots when others
    // spend the same budget, so that separate processes do not all fire at the same refill (or at Reset).
    const spread = share > 1 ? share : jitter;
    const slot = (share - have) * state.intervalMs + opts.random() * spread * state.intervalMs;
    state.reserved++;
    try {
      await opts.sleep(Math.ceil(Math.min(slot, opts.maxWaitMs)), signal);
    } catch (err) {
      state.tokens += 1;
      throw err;
    } finally {
      state.reserved--;
    }
    state.onWire++;
    return { probing: null };
  };

  return async (req) => {
    const { probing } = await acquire(req.signal);
    let res: Awaited<ReturnType<Handler>>;
    try {
      res = await next(req);
    } catch (err) {
      state.onWire--;
      probing?.();
      throw err;
    }
    state.onWire--;
    const info = readHeaders(res.headers);
    if (info) {
      const now = opts.now();
      state.info = info;
      const untilReset = info.reset * 1000 - now;
      const missing = info.limit - Math.max(0, info.remaining);
      // The bucket refills evenly: `missing` requests until Reset (Hetzner: 3600 an hour, one per second). Reset is
      // whole seconds, rounded down, so the refill time is taken from the latest moment it may stand for: never
      // shorter than the real one. A full bucket says nothing about the rate: the last one stands (at first:
      // Hetzner's rule, the limit per hour).
      if (missing > 0 && untilReset > -1000) {
        state.intervalMs = Math.min((untilReset + 1000) / missing, opts.maxWaitMs);
      } else if (state.intervalMs <= 0) {
        state.intervalMs = Math.min(3_600_000 / Math.max(1, info.limit), opts.maxWaitMs);
      }
      // The API's count is the truth (other clients of the project spend the same budget); what it may not have
      // counted yet is ours: requests still on the wire and slots reserved by waiting callers.
      state.tokens = Math.max(0, info.remaining) - state.onWire - state.reserved;
      state.atMs = now;
      state.known = true;
      const limited =
        res.status === 429 &&
        (res.json as { error?: { code?: unknown } } | undefined)?.error?.code === 'rate_limit_exceeded';
      countSharers(state, info, now, limited);
    }
    probing?.();
    return res;
  };
}

/** How much below its fair share of the refill a client paces while others spend the same bucket. */
const SHARE_MARGIN = 1.25;

/** Most sharers assumed: beyond this the waits hit rateLimitMaxWaitMs anyway. */
const MAX_SHARERS = 64;

/** Updates the estimate of how many clients spend the bucket from one answer's headers (see RateLimitState). */
function countSharers(state: RateLimitState, info: RateLimitInfo, now: number, limited: boolean): void {
  const remaining = Math.max(0, info.remaining);
  if (limited) {
    state.sharers = Math.min(MAX_SHARERS, state.sharers * 4);
    // A refused request spent nothing; the window goes on.
    return;
  }
  // Low: fewer than two requests per assumed sharer (and a few more) left, or under half of a small bucket; a bucket
  // holding more than that has budget to spare however many sharers were assumed (a small bucket could otherwise
  // never look roomy enough to lower a high guess).
  const low = remaining < Math.min(2 * state.sharers + 5, info.limit / 2);
  if (!low) {
    // Budget to spare: nobody needs to wait for anyone.
    state.sharers = Math.max(1, state.sharers / 2);
    state.window = null;
    return;
  }
  const w = state.window;
  if (!w) {
    state.window = { atMs: now, remaining, accepted: 0 };
    return;
  }
  w.accepted++;
  const span = now - w.atMs;
  // Ten refills are enough: while the bucket stays low, one accepted request of ours over that span already says
  // how much of it the others took.
  if (state.intervalMs <= 0 || span < 10 * state.intervalMs || w.accepted < 1) return;
  // All spending in the window (what the bucket had, plus its refill, minus what it has) over ours.
  const spent = w.remaining + span / state.intervalMs - remaining;
  const seen = Math.min(MAX_SHARERS, Math.max(1, spent / w.accepted));
  state.sharers = (state.sharers + seen) / 2;
  state.window = { atMs: now, remaining, accepted: 0 };
}

function readHeaders(h: Headers): RateLimitInfo | undefined {
  const limit = Number.parseInt(h.get('ratelimit-limit') ?? '', 10);
  const remaining = Number.parseInt(h.get('ratelimit-remaining') ?? '', 10);
  const reset = Number.parseInt(h.get('ratelimit-reset') ?? '', 10);
  if (!Number.isFinite(limit) || !Number.isFinite(remaining) || !Number.isFinite(reset)) return undefined;
  return { limit, remaining, reset };
}
