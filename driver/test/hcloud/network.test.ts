// Hangs, resets and refused connections, over real sockets and real timers (kept short).

import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { HcloudClient, HcloudNetworkError } from '../../src/hcloud';
import { type Step, scriptsClosedAfterEach, TOKEN } from './scripted-server';

// Real timers here, so the scripted server comes without the fake clock of scriptedClients.
const startScript = scriptsClosedAfterEach();
async function setup(steps: Step[], opts: Partial<ConstructorParameters<typeof HcloudClient>[0]> = {}) {
  const api = await startScript(steps);
  const sleeps: number[] = [];
  const client = new HcloudClient({
    token: TOKEN,
    endpoint: api.url,
    requestTimeoutMs: 300,
    maxRetries: 2,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...opts,
  });
  return { client, api, sleeps };
}

const get = (extra: Partial<Step>): Step => ({ method: 'GET', path: '/servers/1', ...extra });
const ok = get({ json: { server: { id: 1 } } });

describe('network failures', () => {
  it('ends a hanging request with a timeout error after the retries, within the configured bound', async () => {
    const { client, api } = await setup([get({ hang: true }), get({ hang: true }), get({ hang: true })]);
    const started = Date.now();
    const err = await client.servers.get(1).catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(HcloudNetworkError);
    const e = err as HcloudNetworkError;
    expect(e.kind).toBe('timeout');
    expect(e.attempts).toBe(3);
    expect(e.message).toBe(
      'Hetzner API request GET /servers/1 failed after 3 attempts: no complete answer within 300 ms (request timeout)',
    );
    expect(e.message).not.toContain(TOKEN);
    // Counted on the client: on a loaded machine the server may not have parsed the last request before the abort.
    expect(client.stats.requests).toBe(3);
    expect(api.calls.length).toBeLessThanOrEqual(3);
    expect(elapsed).toBeGreaterThanOrEqual(3 * 300 - 20);
    expect(elapsed).toBeLessThan(5000); // generous: the machine is shared
  });

  it('times out a body that stalls after the headers', async () => {
    const { client } = await setup([get({ hangBody: true })], { maxRetries: 0 });
    const err = await client.servers.get(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HcloudNetworkError);
    expect((err as HcloudNetworkError).kind).toBe('timeout');
    expect((err as Error).message).toContain('within 300 ms');
  });

  it('retries a hang and succeeds on the next attempt', async () => {
    const { client, api, sleeps } = await setup([get({ hang: true }), ok]);
    expect((await client.servers.get(1))?.id).toBe(1);
    api.assertDone();
    expect(sleeps).toEqual([500]);
  });

  it('retries a connection reset', async () => {
    const { client, api } = await setup([get({ reset: true }), ok]);
    expect((await client.servers.get(1))?.id).toBe(1);
    api.assertDone();
    expect(client.stats.retries).toBe(1);
  });

  it('reports persistent resets as a reset error after the retries', async () => {
    const { client, api } = await setup([get({ reset: true }), get({ reset: true }), get({ reset: true })]);
    const err = await client.servers.get(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HcloudNetworkError);
    expect((err as HcloudNetworkError).kind).toBe('reset');
    expect((err as Error).message).toMatch(/GET \/servers\/1 failed after 3 attempts: the connection was closed/);
    expect(api.calls).toHaveLength(3);
  });

  it('does not retry a refused connection and points at the endpoint setting', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    const client = new HcloudClient({ token: TOKEN, endpoint: `http://127.0.0.1:${port}/v1`, sleep: async () => {} });
    const err = await client.servers.get(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HcloudNetworkError);
    expect((err as HcloudNetworkError).kind).toBe('refused');
    expect((err as Error).message).toContain('HETZNER_API_ENDPOINT');
    expect(client.stats.requests).toBe(1);
  });

  it("stops a hanging request at once when the caller's signal aborts, without retrying", async () => {
    const { client, api } = await setup([get({ hang: true })], { requestTimeoutMs: 10_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('cancelled by caller')), 50);
    const started = Date.now();
    await expect(client.request('GET', '/servers/1', { signal: controller.signal })).rejects.toThrow(
      'cancelled by caller',
    );
    expect(Date.now() - started).toBeLessThan(3000);
    expect(client.stats.requests).toBe(1);
    expect(api.calls.length).toBeLessThanOrEqual(1);
  });
});
