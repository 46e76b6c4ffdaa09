// A scripted loopback API in the spirit of hcloud-go's mockutil: the test lists the exact requests it expects,
// in order, with a canned answer for each; anything else is recorded as a mismatch and fails `assertDone()`.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach } from 'vitest';
import { HcloudClient } from '../../src/hcloud';

export interface Step {
  method: string;
  /** Path below /v1 including the query exactly as sent, e.g. `/servers?page=1&per_page=50`. */
  path: string;
  status?: number;
  json?: unknown;
  /** A raw (non-JSON) body, sent as text/plain unless headers say otherwise. */
  text?: string;
  headers?: Record<string, string>;
  /** Never answer. */
  hang?: boolean;
  /** Send status and headers, then stall before the body. */
  hangBody?: boolean;
  /** Destroy the socket without answering. */
  reset?: boolean;
  /** Extra checks on the request; throw (e.g. via expect) to fail. */
  want?: (req: Recorded) => void;
}

export interface Recorded {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: unknown;
}

export interface Scripted {
  url: string;
  calls: Recorded[];
  mismatches: string[];
  assertDone(): void;
  close(): Promise<void>;
}

export async function startScript(steps: Step[]): Promise<Scripted> {
  const calls: Recorded[] = [];
  const mismatches: string[] = [];
  const sockets = new Set<Socket>();
  let index = 0;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = rawBody ? JSON.parse(rawBody) : undefined;
      } catch {
        body = rawBody;
      }
      const path = (req.url ?? '').replace(/^\/v1/, '');
      const rec: Recorded = { method: req.method ?? '', path, headers: req.headers, rawBody, body };
      calls.push(rec);
      const step = steps[index++];
      if (!step) {
        mismatches.push(`unexpected request #${index}: ${rec.method} ${rec.path}`);
        return send(res, { status: 599, text: 'unexpected request' });
      }
      if (step.method !== rec.method || step.path !== rec.path) {
        mismatches.push(`request #${index}: want ${step.method} ${step.path}, got ${rec.method} ${rec.path}`);
        return send(res, { status: 599, text: 'unexpected request' });
      }
      try {
        step.want?.(rec);
      } catch (err) {
        mismatches.push(`request #${index} (${rec.method} ${rec.path}): ${(err as Error).message}`);
      }
      if (step.reset) {
        req.socket.destroy();
        return;
      }
      if (step.hang) return;
      if (step.hangBody) {
        res.writeHead(step.status ?? 200, { 'Content-Type': 'application/json', ...step.headers });
        res.flushHeaders();
        return;
      }
      send(res, step);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    calls,
    mismatches,
    assertDone() {
      const problems = [...mismatches];
      if (index < steps.length) {
        problems.push(
          `${steps.length - index} scripted request(s) never came, next: ${steps[index]?.method} ${steps[index]?.path}`,
        );
      }
      if (problems.length > 0) throw new Error(`scripted API:\n  ${problems.join('\n  ')}`);
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: ServerResponse, step: Pick<Step, 'status' | 'json' | 'text' | 'headers'>): void {
  const status = step.status ?? 200;
  if (step.json !== undefined) {
    res.writeHead(status, { 'Content-Type': 'application/json', ...step.headers });
    res.end(JSON.stringify(step.json));
  } else if (step.text !== undefined) {
    res.writeHead(status, { 'Content-Type': 'text/plain', ...step.headers });
    res.end(step.text);
  } else {
    res.writeHead(status, step.headers ?? {});
    res.end();
  }
}

/** A JSON API error answer. */
export function apiError(status: number, code: string, message = `${code} happened`, details: unknown = null) {
  return { status, json: { error: { code, message, details } } };
}

/** A fake clock whose sleep advances time instantly and records every wait. */
export function fakeTime(start = 1_700_000_000_000) {
  const t = {
    now: start,
    sleeps: [] as number[],
    clock: () => t.now,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw signal.reason;
      t.sleeps.push(ms);
      t.now += ms;
    },
  };
  return t;
}

export const TOKEN = 'tok-SECRET-1234567890abcdefghijklmnopqrstuvwxyz';

type ClientOptions = ConstructorParameters<typeof HcloudClient>[0];

/** A `startScript` whose servers are closed after each test of the calling file (call it at module level). */
export function scriptsClosedAfterEach(): (steps: Step[]) => Promise<Scripted> {
  const open: Scripted[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  return async (steps) => {
    const api = await startScript(steps);
    open.push(api);
    return api;
  };
}

/**
 * The usual test setup: a scripted server (closed after each test) and a client on a fake clock against it. The
 * file's `defaults` and then each call's `opts` go over the token, endpoint and clock.
 */
export function scriptedClients(defaults: Partial<ClientOptions> = {}) {
  const start = scriptsClosedAfterEach();
  return async (steps: Step[], opts: Partial<ClientOptions> = {}) => {
    const api = await start(steps);
    const time = fakeTime();
    const client = new HcloudClient({
      token: TOKEN,
      endpoint: api.url,
      sleep: time.sleep,
      now: time.clock,
      ...defaults,
      ...opts,
    });
    return { client, time, api };
  };
}

export function action(id: number, status: 'running' | 'success' | 'error' = 'running', extra: object = {}) {
  return {
    id,
    command: 'start_server',
    status,
    progress: status === 'running' ? 0 : 100,
    started: '2026-11-21T00:00:00Z',
    finished: status === 'running' ? null : '2026-11-21T00:00:05Z',
    error: status === 'error' ? { code: 'action_failed', message: 'action failed' } : null,
    resources: [{ id: 42, type: 'server' }],
    ...extra,
  };
}
