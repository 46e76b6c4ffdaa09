// The HTTP layer is a chain of small handlers (as in hcloud-go): each wraps the next one and adds one concern.

export type QueryValue = string | number | boolean | null | undefined | ReadonlyArray<string | number>;
export type Query = Readonly<Record<string, QueryValue>>;

export interface HttpRequest {
  method: string;
  /** Path below the endpoint, starting with `/`, without query. */
  path: string;
  query?: Query | undefined;
  body?: unknown;
  /** Retry `423 locked` too; only safe where the caller knows the lock is a transient action. */
  retryLocked?: boolean | undefined;
  /** The caller's cancellation; aborting it stops waiting, sleeping and retrying. */
  signal?: AbortSignal | undefined;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** Raw body text ('' when empty). */
  text: string;
  /** Parsed JSON body, set by the parse handler when the answer is JSON. */
  json?: unknown;
  durationMs: number;
}

export type Handler = (req: HttpRequest) => Promise<HttpResponse>;

/** Path and query as sent, e.g. `/servers?name=a&status=running&status=off`, for messages and logs. */
export function describeTarget(req: HttpRequest): string {
  const qs = encodeQuery(req.query);
  return qs ? `${req.path}?${qs}` : req.path;
}

/** Arrays repeat the key (`id=1&id=2`), as the API expects; undefined and null are left out. */
export function encodeQuery(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      for (const v of value) params.append(key, String(v));
    } else {
      params.append(key, String(value));
    }
  }
  return params.toString();
}

/** Abortable sleep; rejects with the signal's reason when aborted. */
export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;
