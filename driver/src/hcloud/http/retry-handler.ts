// The official Go SDK's retry policy (hcloud-go client_handler_retry.go): a short list of errors is transient,
// everything else is returned at once. Applies to every method; request bodies are plain strings, so a retried
// POST resends the same body.
import { HcloudError, type HcloudErrorCode, HcloudNetworkError, HttpStatusError } from '../errors';
import type { Handler, HttpRequest, Sleep } from './types';

export interface RetryOptions {
  maxRetries: number;
  /**
   * Retries of a 429 rate_limit_exceeded (default maxRetries). The rate-limit handler below waits for a refill slot
   * before each one, so these are paced by the budget; more of them let a create ride out a starved project.
   */
  rateLimitRetries?: number;
  /** Also retry 500 and 503 where repeating is harmless; see isRetryableServerError. Default off (as hcloud-go). */
  serverErrors?: boolean;
  backoff: { baseMs: number; capMs: number };
  sleep: Sleep;
  random: () => number;
  onRetry?: (err: unknown, attempt: number, delayMs: number, req: HttpRequest) => void;
}

const RETRIED_CODES: ReadonlySet<string> = new Set<HcloudErrorCode>([
  'conflict',
  'rate_limit_exceeded',
  'timeout',
  'bad_gateway',
]);

/**
 * `locked` is retried only on opt-in: the API uses it in situations that do not clear by themselves.
 * Bare 429 and bare 503 are not retried either (hcloud-go: the backend could not answer anyway, and retrying
 * a 503 risks a self-made DDoS), nor `unavailable`, nor any 409 other than `conflict`.
 */
export function isRetryable(err: unknown, retryLocked = false): boolean {
  if (err instanceof HcloudError) return RETRIED_CODES.has(err.code) || (retryLocked && err.code === 'locked');
  if (err instanceof HttpStatusError) return err.status === 502 || err.status === 504;
  if (err instanceof HcloudNetworkError) return err.kind === 'timeout' || err.kind === 'reset';
  return false;
}

/**
 * 500 and 503 (with or without a JSON body) for a request whose repetition does no harm: reads, and deletes (a
 * repeated one meets not_found); for any other method only 503, which says the request was not served at all. With
 * backoff and the retry cap, this rides out a failing backend without hammering it, where hcloud-go gives up at once.
 */
export function isRetryableServerError(err: unknown, method: string): boolean {
  const status = err instanceof HcloudError || err instanceof HttpStatusError ? err.status : 0;
  if (err instanceof HcloudError && !['server_error', 'unavailable', 'service_error'].includes(err.code)) return false;
  if (method === 'GET' || method === 'DELETE') return status === 500 || status === 503;
  return status === 503;
}

/** Truncated exponential backoff with full jitter: random in [0, min(cap, base·2^attempt)). */
export function backoffDelay(attempt: number, backoff: { baseMs: number; capMs: number }, random: () => number) {
  const ceiling = Math.min(backoff.capMs, backoff.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

export function retryHandler(next: Handler, opts: RetryOptions): Handler {
  return async (req) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await next(req);
      } catch (err) {
        if (req.signal?.aborted) throw err;
        const retryable =
          isRetryable(err, req.retryLocked) || (opts.serverErrors === true && isRetryableServerError(err, req.method));
        const limited = err instanceof HcloudError && err.code === 'rate_limit_exceeded';
        const max = limited ? Math.max(opts.maxRetries, opts.rateLimitRetries ?? 0) : opts.maxRetries;
        if (attempt >= max || !retryable) {
          if (err instanceof HcloudNetworkError) err.setAttempts(attempt + 1);
          throw err;
        }
        const delay = backoffDelay(attempt, opts.backoff, opts.random);
        opts.onRetry?.(err, attempt, delay, req);
        await opts.sleep(delay, req.signal);
      }
    }
  };
}
