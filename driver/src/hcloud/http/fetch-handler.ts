// The innermost handler: one HTTP exchange over Node's global fetch, bounded by a per-attempt timeout.
import { HcloudNetworkError, type NetworkFailure } from '../errors';
import { describeTarget, encodeQuery, type Handler, type HttpRequest } from './types';

export interface FetchHandlerOptions {
  endpoint: string;
  token: string;
  userAgent: string;
  requestTimeoutMs: number;
  now: () => number;
}

export function fetchHandler(opts: FetchHandlerOptions): Handler {
  const base = opts.endpoint.replace(/\/+$/, '');
  return async (req) => {
    const qs = encodeQuery(req.query);
    const url = `${base}${req.path}${qs ? `?${qs}` : ''}`;
    const headers: Record<string, string> = {
      Authorization: `Bearer ${opts.token}`,
      Accept: 'application/json',
      'User-Agent': opts.userAgent,
    };
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['Content-Type'] = 'application/json';
    }

    // The timeout covers the whole exchange, body included: a server that sends headers and then stalls must
    // not hang the driver.
    const timeout = new AbortController();
    const timer = setTimeout(
      () => timeout.abort(new Error(`no complete answer within ${opts.requestTimeoutMs} ms`)),
      opts.requestTimeoutMs,
    );
    const signal = req.signal ? AbortSignal.any([req.signal, timeout.signal]) : timeout.signal;
    const started = opts.now();
    try {
      // `tls` is Bun's per-request option (Node's fetch ignores it): verification stays on whatever the environment
      // says; main.ts also drops NODE_TLS_REJECT_UNAUTHORIZED, which Node reads on every new connection.
      const init = { method: req.method, headers, body, signal, redirect: 'error', tls: { rejectUnauthorized: true } };
      const res = await fetch(url, init as RequestInit);
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, durationMs: opts.now() - started };
    } catch (err) {
      if (req.signal?.aborted) throw req.signal.reason;
      if (timeout.signal.aborted) {
        throw new HcloudNetworkError({
          kind: 'timeout',
          method: req.method,
          path: describeTarget(req),
          detail: `no complete answer within ${opts.requestTimeoutMs} ms (request timeout)`,
          cause: err,
        });
      }
      throw toNetworkError(err, req);
    } finally {
      clearTimeout(timer);
    }
  };
}

const KINDS: Record<string, NetworkFailure> = {
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
  ECONNREFUSED: 'refused',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
};

const HINTS: Record<NetworkFailure, string> = {
  reset: 'the connection was closed or reset before a complete answer arrived',
  refused: 'connection refused; check HETZNER_API_ENDPOINT',
  dns: 'the API host name could not be resolved; check HETZNER_API_ENDPOINT and DNS',
  timeout: 'the connection timed out',
  other: 'the request could not be sent',
};

/** undici reports socket trouble as `TypeError: fetch failed` with the system error as `cause`. */
function toNetworkError(err: unknown, req: HttpRequest): HcloudNetworkError {
  let code: string | undefined;
  let message = err instanceof Error ? err.message : String(err);
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const c = (e as { code?: unknown }).code;
    if (typeof c === 'string' && KINDS[c]) {
      code = c;
      message = e instanceof Error ? e.message : message;
      break;
    }
  }
  const kind = (code && KINDS[code]) || 'other';
  return new HcloudNetworkError({
    kind,
    method: req.method,
    path: describeTarget(req),
    detail: `${HINTS[kind]} (${code ?? message})`,
    cause: err,
  });
}
