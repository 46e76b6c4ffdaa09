// HcloudClient: wires the handler chain and the per-resource clients. All timing (sleep, clock, randomness) is
// injectable so tests run backoff in milliseconds, and every instance keeps its own state.
import { checkEndpoint, DEFAULT_ENDPOINT } from './endpoint';
import { type DebugSink, debugHandler } from './http/debug-handler';
import { errorHandler } from './http/error-handler';
import { fetchHandler } from './http/fetch-handler';
import { parseHandler } from './http/parse-handler';
import { type RateLimitInfo, RateLimitState, rateLimitHandler, sharedRateLimitState } from './http/rate-limit-handler';
import { retryHandler } from './http/retry-handler';
import { type ClientStats, statsHandler } from './http/stats-handler';
import { defaultSleep, describeTarget, type Handler, type Query, type Sleep } from './http/types';
import { ActionClient, DEFAULT_POLL, type PollOptions } from './resources/action';
import type { RequestOptions } from './resources/common';
import { FirewallClient } from './resources/firewall';
import { ImageClient } from './resources/image';
import { LocationClient } from './resources/location';
import { NetworkClient } from './resources/network';
import { PlacementGroupClient } from './resources/placement-group';
import { PrimaryIpClient } from './resources/primary-ip';
import { ServerClient } from './resources/server';
import { ServerTypeClient } from './resources/server-type';
import { SshKeyClient } from './resources/ssh-key';
import { VolumeClient } from './resources/volume';

export interface HcloudClientOptions {
  token: string;
  /** Base URL including `/v1`; the driver exposes it as `--hetzner-api-endpoint`. */
  endpoint?: string;
  userAgent?: string;
  /** Per attempt, body included. Default 30 s. */
  requestTimeoutMs?: number;
  /** Retries after the first attempt for transient errors. Default 5. */
  maxRetries?: number;
  /** Also retry 500/503 where repeating is harmless (reads, deletes; 503 for all). Default false, as hcloud-go. */
  retryServerErrors?: boolean;
  /** Truncated exponential backoff with full jitter. Default 1 s base, 60 s cap. */
  backoff?: { baseMs: number; capMs: number };
  /** Longest single wait for the rate limit. Default 60 s. */
  rateLimitMaxWaitMs?: number;
  /**
   * Whose estimate of the project's request budget this client paces by: its own ('client', the default), or the
   * one every client of this process with the same endpoint and token shares ('process'; the driver's choice).
   */
  rateLimitScope?: 'client' | 'process';
  /** Re-sends of a request the API refused with 429 rate_limit_exceeded. Default 12. */
  rateLimitRetries?: number;
  sleep?: Sleep;
  random?: () => number;
  now?: () => number;
  /** Gets one debug line per attempt (method, path, status, ms); never the token or bodies. */
  debug?: DebugSink;
  /** Action polling: first interval, growth factor, ceiling, typical run times. Default DEFAULT_POLL. */
  poll?: PollOptions;
}

/** Page size for listing: the API's maximum, to spend as few requests as possible. */
const PER_PAGE = 50;
/** A bound on pages, so a misbehaving server cannot keep an iterator alive forever. */
const MAX_PAGES = 10_000;

export class HcloudClient {
  readonly stats: ClientStats = { requests: 0, byEndpoint: new Map(), retries: 0, rateLimitWaits: 0 };
  readonly servers: ServerClient;
  readonly sshKeys: SshKeyClient;
  readonly firewalls: FirewallClient;
  readonly networks: NetworkClient;
  readonly placementGroups: PlacementGroupClient;
  readonly images: ImageClient;
  readonly serverTypes: ServerTypeClient;
  readonly locations: LocationClient;
  readonly primaryIps: PrimaryIpClient;
  readonly volumes: VolumeClient;
  readonly actions: ActionClient;
  readonly endpoint: string;

  private readonly handler: Handler;
  private readonly limiter: RateLimitState;

  constructor(opts: HcloudClientOptions) {
    const token = (opts.token ?? '').trim();
    if (token === '') throw new Error('Hetzner API token is empty; pass a project API token');
    // Checked here because fetch would otherwise echo the bad header value, token included, in its error.
    if (!/^[\x21-\x7e]+$/.test(token)) {
      throw new Error('Hetzner API token contains spaces or non-ASCII characters; copy the token again');
    }
    // https, or http to loopback only; checked before any request so a bad endpoint never receives the token.
    const endpoint = checkEndpoint(opts.endpoint ?? DEFAULT_ENDPOINT);
    this.endpoint = endpoint;
    this.limiter = opts.rateLimitScope === 'process' ? sharedRateLimitState(endpoint, token) : new RateLimitState();

    const sleep = opts.sleep ?? defaultSleep;
    const now = opts.now ?? Date.now;
    const random = opts.random ?? Math.random;
    const requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;

    let h: Handler = fetchHandler({
      endpoint,
      token,
      userAgent: opts.userAgent ?? 'hetzner-rancher-hcloud/0.1',
      requestTimeoutMs,
      now,
    });
    h = statsHandler(h, this.stats);
    if (opts.debug) h = debugHandler(h, opts.debug, now);
    h = parseHandler(h);
    h = rateLimitHandler(h, {
      state: this.limiter,
      sleep: async (ms, signal) => {
        this.stats.rateLimitWaits++;
        const budget = this.limiter.info;
        opts.debug?.(
          `hcloud: rate limit reached (${budget?.remaining ?? '?'} of ${budget?.limit ?? '?'} left), waiting ${ms} ms`,
        );
        await sleep(ms, signal);
      },
      now,
      random,
      maxWaitMs: opts.rateLimitMaxWaitMs ?? 60_000,
    });
    h = errorHandler(h, { token });
    h = retryHandler(h, {
      maxRetries: opts.maxRetries ?? 5,
      rateLimitRetries: opts.rateLimitRetries ?? 12,
      serverErrors: opts.retryServerErrors ?? false,
      backoff: opts.backoff ?? { baseMs: 1000, capMs: 60_000 },
      sleep,
      random,
      onRetry: (err, attempt, delayMs, req) => {
        this.stats.retries++;
        const why = err instanceof Error ? err.message : String(err);
        opts.debug?.(
          `hcloud: retry ${attempt + 1} of ${req.method} ${describeTarget(req)} in ${delayMs} ms after: ${why}`,
        );
      },
    });
    this.handler = h;

    this.servers = new ServerClient(this);
    this.sshKeys = new SshKeyClient(this);
    this.firewalls = new FirewallClient(this);
    this.networks = new NetworkClient(this);
    this.placementGroups = new PlacementGroupClient(this);
    this.images = new ImageClient(this);
    this.serverTypes = new ServerTypeClient(this);
    this.locations = new LocationClient(this);
    this.primaryIps = new PrimaryIpClient(this);
    this.volumes = new VolumeClient(this);
    this.actions = new ActionClient(this, opts.poll ?? DEFAULT_POLL, sleep, now);
  }

  /** The last RateLimit-* headers seen, if any. */
  get rateLimit(): RateLimitInfo | undefined {
    return this.limiter.info;
  }

  /** One API call with retries, rate limiting and typed errors. Resolves to the decoded body (undefined for 204). */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    if (!path.startsWith('/')) throw new TypeError(`Hetzner API path must start with "/": ${path}`);
    refuseRemovedEndpoint(path);
    const res = await this.handler({
      method: method.toUpperCase(),
      path,
      query: opts.query,
      body: opts.body,
      retryLocked: opts.retryLocked,
      signal: opts.signal,
    });
    if (res.json === undefined && res.text.trim() !== '') {
      throw new Error(
        `Hetzner API answered HTTP ${res.status} with a body that is not JSON (${method} ${path}); is the endpoint ${this.endpoint} correct?`,
      );
    }
    return res.json as T;
  }

  /** Yields every item of a list endpoint, fetching pages of 50 until `next_page` is null. */
  async *paginate<T>(path: string, key: string, query?: Query): AsyncGenerator<T> {
    let page = 1;
    for (let fetched = 0; fetched < MAX_PAGES; fetched++) {
      const r = await this.request<Record<string, unknown>>('GET', path, {
        query: { ...query, page, per_page: PER_PAGE },
      });
      const items = r?.[key];
      if (!Array.isArray(items)) {
        throw new Error(`Hetzner API list ${path} answered without a "${key}" array`);
      }
      for (const item of items) yield item as T;
      const next = (r.meta as { pagination?: { next_page?: number | null } } | undefined)?.pagination?.next_page;
      if (!next || next <= page) return;
      page = next;
    }
    throw new Error(`Hetzner API list ${path} did not end after ${MAX_PAGES} pages`);
  }

  async listAll<T>(path: string, key: string, query?: Query): Promise<T[]> {
    const out: T[] = [];
    for await (const item of this.paginate<T>(path, key, query)) out.push(item);
    return out;
  }
}

/**
 * Hetzner phased datacenters out (changelog 2025-12-16, removed 2026-07-01): `/datacenters` answers 410, and its
 * content (a location plus a server type list) lives in `/locations` and `server_types[].locations`. No request is
 * ever built for it, however the path is spelled (dot segments, doubled slashes, percent-escapes, case).
 */
function refuseRemovedEndpoint(path: string): void {
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // A malformed escape is left as it is; the API rejects such a path itself.
  }
  const normalized = new URL(decoded.replace(/\/{2,}/g, '/'), 'http://endpoint.invalid').pathname.toLowerCase();
  if (/^\/datacenters(?:\/|$)/.test(normalized)) {
    throw new TypeError(
      `Hetzner API path ${path} is refused: datacenters were removed from the API (use locations and ` +
        'server_types[].locations)',
    );
  }
}
