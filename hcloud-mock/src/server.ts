import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ActionOverride } from './actions';
import {
  type ApplyThenEffect,
  type BareEffect,
  type ErrorEffect,
  type FaultEffect,
  FaultRegistry,
  type FaultRule,
  ruleFromJson,
} from './faults';
import { type RateLimitSnapshot, TokenBucket } from './ratelimit';
import { type HandlerResult, matchRoute } from './routes';
import { type ConcurrentSetRulesMode, MockState } from './state';
import { ApiError, isPlainObject } from './util';

export interface MockOptions {
  /** Default 0 (ephemeral); the host is always 127.0.0.1. */
  port?: number;
  /** Accepted tokens; empty or absent accepts any non-empty bearer token. */
  tokens?: string[];
  /** Tokens that may only GET; anything else answers 401 token_readonly. */
  readOnlyTokens?: string[];
  /**
   * Default `{limit: 3600, refillPerSecond: 1}`; `false` disables the limiter (headers still sent). `remaining`
   * starts the bucket partly spent, as when the cloud controller manager shares the project's budget.
   */
  rateLimit?: { limit: number; refillPerSecond?: number; remaining?: number } | false;
  /** Per action command, e.g. `{create_server: 50}`. */
  actionDurations?: Partial<Record<string, number>>;
  /** Duration for every command without an entry in `actionDurations`. */
  defaultActionMs?: number;
  /** Delay before a label-selector firewall reaches a new or relabelled server (default 1000 ms). */
  labelSelectorPropagationMs?: number;
  /** Actions stay running until `state.completeAction(id, {error?})` or `POST /__mock/actions/{id}/complete`. */
  manualActions?: boolean;
  /** Makes IDs, IPs, passwords and fault probabilities reproducible. */
  seed?: number;
  /** Default true: pre-existing servers, keys, firewall, network, placement group, volumes, snapshots. */
  seedData?: boolean;
}

export interface RequestLogEntry {
  /** Epoch milliseconds when the request arrived. */
  t: number;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  /** Parsed JSON body; `user_data` is replaced by its length so logs never carry it. */
  body: unknown;
  status: number;
  code: string | null;
  /** Requests in flight when this one arrived (itself included). */
  inFlight: number;
  endpoint: string;
  durationMs: number;
  fault: string | null;
}

export interface MockStats {
  total: number;
  byEndpoint: Record<string, number>;
  byStatus: Record<string, number>;
  peakInFlight: number;
  faultsInjected: number;
}

/** A request a `hang` effect holds: the caller's moment to act (e.g. kill the client) at a known point. */
export interface HeldRequest {
  method: string;
  path: string;
  /** The templated endpoint, e.g. `POST /servers/{id}/actions/poweron`. */
  endpoint: string;
  /** True for `{applyThen: {hang: true}}`: the change was made and only the answer is held. */
  applied: boolean;
  /** The status the applied request would have answered with (its change happened only if this is 2xx). */
  appliedStatus: number | null;
}

export interface MockServer {
  url: string;
  state: MockState;
  faults: FaultRegistry;
  requests: RequestLogEntry[];
  /** Calls `listener` whenever a request starts being held by a `hang` effect; returns the unsubscribe. */
  onHold(listener: (held: HeldRequest) => void): () => void;
  stats(): MockStats;
  reset(): void;
  stop(): Promise<void>;
}

interface Reply {
  status: number;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

const JSON_TYPE = 'application/json';
const MAX_LOG = 50_000;

const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, Accept',
  'Access-Control-Expose-Headers': 'RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-Correlation-Id, Link',
};

function errorReply(err: ApiError): Reply {
  return {
    status: err.status,
    body: { error: { code: err.code, message: err.message, details: err.details ?? null } },
  };
}

function redact(body: unknown): unknown {
  if (!isPlainObject(body) || typeof body.user_data !== 'string') return body;
  return { ...body, user_data: `[redacted ${Buffer.byteLength(body.user_data)} bytes]` };
}

function queryObject(q: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(q.keys())) {
    const all = q.getAll(key);
    out[key] = all.length === 1 ? all[0]! : all;
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startMock(options: MockOptions = {}): Promise<MockServer> {
  const seed = options.seed ?? 0x5eed;
  const state = new MockState({
    seed,
    seedData: options.seedData,
    labelSelectorPropagationMs: options.labelSelectorPropagationMs,
    actionDurations: options.actionDurations,
    defaultActionMs: options.defaultActionMs,
    manualActions: options.manualActions,
  });
  const faults = new FaultRegistry(seed, (mode: ConcurrentSetRulesMode) => {
    state.concurrentSetRules = mode;
  });
  const rl = options.rateLimit === false ? { limit: 3600, refillPerSecond: 1 } : (options.rateLimit ?? { limit: 3600 });
  const bucket = new TokenBucket(
    rl.limit,
    rl.refillPerSecond ?? rl.limit / 3600,
    Date.now,
    'remaining' in rl && rl.remaining !== undefined ? rl.remaining : rl.limit,
  );
  const limiterOn = options.rateLimit !== false;
  const tokens = new Set(options.tokens ?? []);
  const readOnly = new Set(options.readOnlyTokens ?? []);

  const requests: RequestLogEntry[] = [];
  let stats = emptyStats();
  let inFlight = 0;
  const hung = new Set<ServerResponse>();
  const holdListeners = new Set<(held: HeldRequest) => void>();
  const delays = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  let stopping = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          delays.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      delays.add(entry);
    });

  function rateHeaders(rate: RateLimitSnapshot): Record<string, string> {
    return {
      'RateLimit-Limit': String(rate.limit),
      'RateLimit-Remaining': String(rate.remaining),
      'RateLimit-Reset': String(rate.reset),
    };
  }

  function send(res: ServerResponse, reply: Reply, base: Record<string, string>): void {
    if (res.destroyed) return;
    const headers: Record<string, string> = { ...CORS_HEADERS, ...base, ...(reply.headers ?? {}) };
    let payload = '';
    if (reply.raw !== undefined) {
      payload = reply.raw;
      headers['Content-Type'] = 'text/plain; charset=utf-8';
    } else if (reply.body !== undefined) {
      payload = JSON.stringify(reply.body);
      headers['Content-Type'] = JSON_TYPE;
    }
    res.writeHead(reply.status, headers);
    res.end(payload);
  }

  /**
   * The 2026 API names the token whose budget ran out by its first and last four characters; clients must keep
   * that out of their logs. Tokens shorter than 12 characters are not echoed (the fragments would be most of them).
   */
  function rateLimitMessage(req: IncomingMessage): string {
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const base = 'limit of requests per hour reached';
    return token.length >= 12 ? `${base} for token ${token.slice(0, 4)}…${token.slice(-4)}` : base;
  }

  function authenticate(req: IncomingMessage, method: string): ApiError | null {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) return new ApiError(401, 'unauthorized', 'unable to authenticate');
    const token = m[1]!;
    if (readOnly.has(token)) {
      return method === 'GET' ? null : new ApiError(401, 'token_readonly', 'this token is read-only');
    }
    if (tokens.size > 0 && !tokens.has(token)) return new ApiError(401, 'unauthorized', 'unable to authenticate');
    return null;
  }

  /** Runs the route with fault-driven action overrides in place; returns the reply it would send. */
  function runHandler(
    route: ReturnType<typeof matchRoute>,
    url: URL,
    body: unknown,
    overrides: ActionOverride[],
  ): Reply {
    if (!route.handler) {
      if (route.methodNotAllowed) return errorReply(new ApiError(405, 'method_not_allowed', 'method not allowed'));
      return errorReply(new ApiError(404, 'not_found', `no such endpoint: ${url.pathname}`));
    }
    if (body !== undefined && !isPlainObject(body)) {
      return errorReply(new ApiError(400, 'json_error', 'request body must be a JSON object'));
    }
    state.actions.overrides = overrides;
    try {
      const result: HandlerResult = route.handler({
        state,
        params: route.params,
        query: url.searchParams,
        body: (body as Record<string, unknown>) ?? {},
        baseUrl: `${url.origin}${url.pathname}`,
      });
      return { status: result.status, body: result.body, headers: result.headers };
    } catch (err) {
      if (err instanceof ApiError) return errorReply(err);
      return errorReply(new ApiError(500, 'server_error', `mock failure: ${(err as Error).message}`));
    } finally {
      state.actions.overrides = [];
    }
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const started = Date.now();
    const method = req.method ?? 'GET';
    const path = url.pathname.slice('/v1'.length) || '/';
    inFlight++;
    stats.peakInFlight = Math.max(stats.peakInFlight, inFlight);
    const entry: RequestLogEntry = {
      t: started,
      method,
      path,
      query: queryObject(url.searchParams),
      body: undefined,
      status: 0,
      code: null,
      inFlight,
      endpoint: '',
      durationMs: 0,
      fault: null,
    };
    requests.push(entry);
    // A demo left running for days must not grow without bound; tests never get near this.
    if (requests.length > MAX_LOG) requests.splice(0, requests.length - MAX_LOG);
    let finished = false;
    const finish = (status: number, code: string | null) => {
      if (finished) return;
      finished = true;
      inFlight--;
      entry.status = status;
      entry.code = code;
      entry.durationMs = Date.now() - started;
      stats.byStatus[String(status)] = (stats.byStatus[String(status)] ?? 0) + 1;
    };
    res.on('close', () => finish(res.headersSent ? res.statusCode : 0, entry.code));

    const headers: Record<string, string> = { 'X-Correlation-Id': randomBytes(8).toString('hex') };
    const reply = (r: Reply) => {
      const code = isPlainObject(r.body) && isPlainObject(r.body.error) ? String(r.body.error.code) : null;
      entry.code = code;
      send(res, r, headers);
      finish(r.status, code);
    };

    const raw = await readBody(req);
    const route = matchRoute(method, path);
    entry.endpoint = route.endpoint;
    stats.total++;
    stats.byEndpoint[route.endpoint] = (stats.byEndpoint[route.endpoint] ?? 0) + 1;

    const rate = limiterOn ? bucket.take() : { ...bucket.peek(), ok: true };
    Object.assign(headers, rateHeaders(rate));
    if (!rate.ok) {
      return reply(errorReply(new ApiError(429, 'rate_limit_exceeded', rateLimitMessage(req))));
    }
    const authError = authenticate(req, method);
    if (authError) return reply(errorReply(authError));

    let body: unknown;
    if (raw.trim() !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        return reply(errorReply(new ApiError(400, 'json_error', 'request body is not valid JSON')));
      }
    }
    entry.body = redact(body);

    const fired = faults.evaluate({ method, path, endpoint: route.endpoint.slice(method.length + 1), body });
    if (fired.length > 0) {
      stats.faultsInjected += fired.length;
      entry.fault = fired.map(describe).join(', ');
    }
    const overrides: ActionOverride[] = [];
    let terminal: FaultEffect | undefined;
    let delayMs = 0;
    for (const e of fired) {
      if ('delayMs' in e) delayMs += e.delayMs;
      else if ('actionFail' in e) overrides.push({ command: e.command, failWith: e.actionFail });
      else if ('actionDurationMs' in e) overrides.push({ command: e.command, durationMs: e.actionDurationMs });
      else terminal ??= e;
    }
    if (delayMs > 0) await sleep(delayMs);
    if (stopping) return;

    if (terminal && 'applyThen' in terminal) {
      const applied = runHandler(route, url, body, overrides);
      return deliverFault((terminal as ApplyThenEffect).applyThen, applied);
    }
    if (terminal) return deliverFault(terminal);
    return reply(runHandler(route, url, body, overrides));

    async function deliverFault(effect: FaultEffect, applied?: Reply): Promise<void> {
      if ('hang' in effect) {
        hung.add(res);
        res.on('close', () => hung.delete(res));
        const held: HeldRequest = {
          method,
          path,
          endpoint: route.endpoint,
          applied: applied !== undefined,
          appliedStatus: applied?.status ?? null,
        };
        for (const listener of holdListeners) listener(held);
        return;
      }
      if ('reset' in effect) {
        finish(0, null);
        req.socket.destroy();
        return;
      }
      if ('delayMs' in effect) {
        // An applyThen with a delay: the change is done, the answer is merely late.
        await sleep(effect.delayMs);
        if (stopping || !applied) return;
        return reply(applied);
      }
      if ('bareStatus' in effect) {
        const bare = effect as BareEffect;
        return reply({ status: bare.bareStatus, raw: bare.body ?? '' });
      }
      const e = effect as ErrorEffect;
      return reply({
        status: e.status,
        body: { error: { code: e.code, message: e.message ?? e.code, details: e.details ?? null } },
        headers: e.headers,
      });
    }
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const path = url.pathname.slice('/__mock'.length);
    const raw = await readBody(req);
    const json = (status: number, body?: unknown) => send(res, { status, body }, {});
    let body: unknown;
    try {
      body = raw.trim() === '' ? {} : JSON.parse(raw);
    } catch {
      return json(400, { error: { code: 'json_error', message: 'request body is not valid JSON' } });
    }
    const b = isPlainObject(body) ? body : {};
    try {
      if (method === 'POST' && path === '/faults') {
        if (typeof b.concurrentSetRules === 'string') {
          faults.setConcurrentSetRules(b.concurrentSetRules as ConcurrentSetRulesMode);
          return json(200, { concurrentSetRules: state.concurrentSetRules });
        }
        if (isPlainObject(b.chaos)) return json(201, { id: faults.chaos(b.chaos as never) });
        return json(201, { id: faults.add(ruleFromJson(b)) });
      }
      if (method === 'GET' && path === '/faults') {
        return json(200, {
          faults: faults.list().map((f) => ({ ...f, rule: serializableRule(f.rule) })),
          concurrentSetRules: state.concurrentSetRules,
        });
      }
      if (method === 'DELETE' && path === '/faults') {
        faults.clear();
        return json(204);
      }
      const fm = /^\/faults\/(\d+)$/.exec(path);
      if (method === 'DELETE' && fm) return json(faults.remove(Number(fm[1])) ? 204 : 404);
      if (method === 'GET' && path === '/requests') return json(200, { requests });
      if (method === 'GET' && path === '/stats') return json(200, statsNow());
      if (method === 'GET' && path === '/state') return json(200, state.snapshot());
      if (method === 'POST' && path === '/reset') {
        resetAll();
        return json(204);
      }
      const am = /^\/actions\/(\d+)\/complete$/.exec(path);
      if (method === 'POST' && am) {
        const error = isPlainObject(b.error) ? (b.error as { code: string; message: string }) : null;
        return json(200, { action: state.completeAction(Number(am[1]), { error }) });
      }
      return json(404, { error: { code: 'not_found', message: `no control endpoint ${method} ${url.pathname}` } });
    } catch (err) {
      if (err instanceof ApiError) return send(res, errorReply(err), {});
      return json(400, { error: { code: 'invalid_input', message: (err as Error).message } });
    }
  }

  function statsNow(): MockStats {
    return structuredClone(stats);
  }

  function resetAll(): void {
    state.reset();
    faults.clear();
    requests.length = 0;
    stats = emptyStats();
    stats.peakInFlight = inFlight;
    bucket.reset();
  }

  const server = createServer((req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    } catch {
      // A Host header that is no valid authority (e.g. `[`) must not take the whole mock down with a throw.
      req.resume();
      send(res, errorReply(new ApiError(400, 'invalid_input', 'malformed request target or Host header')), {});
      return;
    }
    if (req.method === 'OPTIONS') {
      // Browser preflight (the extension's tests call the mock from a page); not an API request.
      req.resume();
      send(res, { status: 204 }, { 'Access-Control-Max-Age': '600' });
      return;
    }
    const handler = url.pathname.startsWith('/__mock/')
      ? handleControl(req, res, url)
      : url.pathname === '/v1' || url.pathname.startsWith('/v1/')
        ? handleApi(req, res, url)
        : Promise.resolve(send(res, errorReply(new ApiError(404, 'not_found', 'the API lives under /v1')), {}));
    handler.catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        send(res, errorReply(new ApiError(500, 'server_error', `mock failure: ${(err as Error).message}`)), {});
      }
    });
  });
  server.keepAliveTimeout = 1000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    state,
    faults,
    requests,
    onHold(listener) {
      holdListeners.add(listener);
      return () => holdListeners.delete(listener);
    },
    stats: statsNow,
    reset: resetAll,
    async stop() {
      stopping = true;
      state.actions.stopTimers();
      state.clearTimers();
      for (const d of delays) clearTimeout(d.timer);
      delays.clear();
      for (const res of hung) res.socket?.destroy();
      hung.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function emptyStats(): MockStats {
  return { total: 0, byEndpoint: {}, byStatus: {}, peakInFlight: 0, faultsInjected: 0 };
}

function describe(effect: FaultEffect): string {
  if ('status' in effect) return `${effect.status} ${effect.code}`;
  if ('bareStatus' in effect) return `bare ${effect.bareStatus}`;
  if ('delayMs' in effect) return `delay ${effect.delayMs}ms`;
  if ('hang' in effect) return 'hang';
  if ('reset' in effect) return 'reset';
  if ('applyThen' in effect) return `applyThen(${describe(effect.applyThen)})`;
  if ('actionFail' in effect) return `actionFail ${effect.actionFail.code}`;
  return `actionDuration ${effect.actionDurationMs}ms`;
}

function serializableRule(rule: FaultRule): unknown {
  const path = rule.match?.path;
  return {
    ...rule,
    match: rule.match
      ? {
          ...rule.match,
          // RegExp#source escapes slashes; show the pattern as it was written.
          path: path instanceof RegExp ? path.source.replaceAll('\\/', '/') : path,
          body: undefined,
        }
      : undefined,
  };
}
