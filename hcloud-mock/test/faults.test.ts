import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { api, createServerBody, mock, settle, waitActions } from './helpers';

describe('authentication', () => {
  it('accepts any non-empty bearer token by default and refuses a missing one with 401 unauthorized', async () => {
    const m = await mock();
    expect((await api(m, 'GET', '/locations', undefined, 'anything')).status).toBe(200);
    const none = await api(m, 'GET', '/locations', undefined, null);
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthorized');
  });

  it('with tokens configured, only those pass; read-only tokens may only GET (token_readonly)', async () => {
    const m = await mock({ tokens: ['good'], readOnlyTokens: ['viewer'] });
    expect((await api(m, 'GET', '/servers', undefined, 'good')).status).toBe(200);
    const bad = await api(m, 'GET', '/servers', undefined, 'other');
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('unauthorized');
    expect(bad.text).not.toContain('other');
    expect((await api(m, 'GET', '/servers', undefined, 'viewer')).status).toBe(200);
    const ro = await api(m, 'POST', '/ssh_keys', { name: 'x', public_key: 'y' }, 'viewer');
    expect(ro.status).toBe(401);
    expect(ro.body.error.code).toBe('token_readonly');
  });
});

describe('rate limiting', () => {
  it('sends RateLimit headers on every response and 429 rate_limit_exceeded when the bucket is empty', async () => {
    const m = await mock({ rateLimit: { limit: 3, refillPerSecond: 0.001 } });
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await api(m, 'GET', '/locations');
      expect(r.status).toBe(200);
      expect(r.headers.get('ratelimit-limit')).toBe('3');
      seen.push(r.headers.get('ratelimit-remaining')!);
    }
    expect(seen).toEqual(['2', '1', '0']);
    const limited = await api(m, 'GET', '/locations');
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limit_exceeded');
    // As the API does since 2026, a 12+ character token is named by its first and last four characters.
    expect(limited.body.error.message).toBe('limit of requests per hour reached');
    const long = await api(m, 'GET', '/locations', undefined, 'hcloud-token-0123456789abcdef');
    expect(long.body.error.message).toBe('limit of requests per hour reached for token hclo…cdef');
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    const reset = Number(limited.headers.get('ratelimit-reset'));
    expect(reset).toBeGreaterThan(Date.now() / 1000);
    // Unauthenticated requests count too.
    expect((await api(m, 'GET', '/locations', undefined, null)).status).toBe(429);
  });

  it('refills over time', async () => {
    const m = await mock({ rateLimit: { limit: 2, refillPerSecond: 20 } });
    await api(m, 'GET', '/locations');
    await api(m, 'GET', '/locations');
    await new Promise((r) => setTimeout(r, 150));
    expect((await api(m, 'GET', '/locations')).status).toBe(200);
  });

  it('answers CORS preflights and exposes the rate-limit headers to browsers', async () => {
    const m = await mock();
    const pre = await fetch(`${m.url}/servers`, { method: 'OPTIONS' });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-headers')).toContain('Authorization');
    const r = await api(m, 'GET', '/locations');
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('access-control-expose-headers')).toContain('RateLimit-Remaining');
    expect(m.stats().total).toBe(1);
  });

  it('defaults to 3600 per hour', async () => {
    const m = await mock();
    const r = await api(m, 'GET', '/locations');
    expect(r.headers.get('ratelimit-limit')).toBe('3600');
    expect(r.headers.get('ratelimit-remaining')).toBe('3599');
  });
});

describe('fault injection', () => {
  it('answers a JSON error on the nth matching call only', async () => {
    const m = await mock();
    m.faults.add({ match: { method: 'GET', path: '/servers' }, when: { nth: 2 }, effect: m.faults.presets.conflict() });
    expect((await api(m, 'GET', '/servers')).status).toBe(200);
    const second = await api(m, 'GET', '/servers');
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('conflict');
    expect((await api(m, 'GET', '/servers')).status).toBe(200);
    expect(m.stats().faultsInjected).toBe(1);
  });

  it('matches templated paths and regexes, limits with times, and answers each preset status', async () => {
    const m = await mock();
    const sid = [...m.state.servers.values()][0]!.id;
    const cases = [
      ['locked', 423],
      ['rateLimited', 429],
      ['serverError', 500],
      ['badGateway', 502],
      ['unavailable', 503],
      ['timeout', 504],
    ] as const;
    for (const [preset, status] of cases) {
      const id = m.faults.add({
        match: { path: '/servers/{id}' },
        when: { times: 1 },
        effect: m.faults.presets[preset](),
      });
      const r = await api(m, 'GET', `/servers/${sid}`);
      expect(r.status).toBe(status);
      expect(r.headers.get('content-type')).toBe('application/json');
      expect((await api(m, 'GET', `/servers/${sid}`)).status).toBe(200);
      m.faults.remove(id);
    }
    m.faults.add({ match: { path: /^\/servers\/\d+$/ }, effect: m.faults.presets.uniqueness() });
    expect((await api(m, 'GET', `/servers/${sid}`)).body.error.code).toBe('uniqueness_error');
    expect((await api(m, 'GET', '/servers')).status).toBe(200);
  });

  it('answers bare 5xx without a JSON body', async () => {
    const m = await mock();
    m.faults.add({ match: { path: '/locations' }, when: { times: 1 }, effect: { bareStatus: 502 } });
    const r = await api(m, 'GET', '/locations');
    expect(r.status).toBe(502);
    expect(r.headers.get('content-type')).not.toContain('json');
    expect(r.body).toBeNull();
    expect(r.headers.get('ratelimit-limit')).toBe('3600');
  });

  it('delays responses', async () => {
    const m = await mock();
    m.faults.add({ match: { path: '/locations' }, effect: { delayMs: 200 } });
    const t0 = Date.now();
    expect((await api(m, 'GET', '/locations')).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
  });

  it('hangs until the client gives up, and stop() releases hung requests', async () => {
    const m = await mock();
    m.faults.add({ match: { path: '/locations' }, effect: { hang: true } });
    await expect(
      fetch(`${m.url}/locations`, { headers: { Authorization: 'Bearer t' }, signal: AbortSignal.timeout(150) }),
    ).rejects.toThrow();
    const pending = fetch(`${m.url}/locations`, { headers: { Authorization: 'Bearer t' } }).then(
      () => 'answered',
      () => 'closed',
    );
    await new Promise((r) => setTimeout(r, 50));
    await m.stop();
    expect(await pending).toBe('closed');
  });

  it('tells onHold listeners about each held request, and whether its change was applied first', async () => {
    const m = await mock({ seedData: false });
    const held: unknown[] = [];
    const off = m.onHold((h) => held.push(h));
    m.faults.add({ match: { method: 'POST', path: '/placement_groups' }, when: { nth: 1 }, effect: { hang: true } });
    m.faults.add({
      match: { method: 'POST', path: '/placement_groups' },
      when: { nth: 2 },
      effect: { applyThen: { hang: true } },
    });
    // Each POST is held until the listener has heard of it; then the client gives up, as a killed process would.
    const post = async (name: string) => {
      const abort = new AbortController();
      const heard = new Promise<void>((resolve) => {
        const stop = m.onHold(() => {
          stop();
          resolve();
        });
      });
      const pending = fetch(`${m.url}/placement_groups`, {
        method: 'POST',
        headers: { Authorization: 'Bearer t', 'Content-Type': 'application/json' },
        body: JSON.stringify({ name, type: 'spread' }),
        signal: abort.signal,
      }).catch(() => null);
      await heard;
      abort.abort();
      await pending;
    };
    await post('never');
    await post('applied');
    off();
    expect(held).toEqual([
      {
        method: 'POST',
        path: '/placement_groups',
        endpoint: 'POST /placement_groups',
        applied: false,
        appliedStatus: null,
      },
      {
        method: 'POST',
        path: '/placement_groups',
        endpoint: 'POST /placement_groups',
        applied: true,
        appliedStatus: 201,
      },
    ]);
    expect([...m.state.placementGroups.values()].map((p) => p.name)).toEqual(['applied']);
  });

  it('resets the connection', async () => {
    const m = await mock();
    m.faults.add({ match: { path: '/locations' }, when: { times: 1 }, effect: { reset: true } });
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
      const req = request(`${m.url}/locations`, { headers: { Authorization: 'Bearer t' }, agent: false }, () =>
        resolve(new Error('answered')),
      );
      req.on('error', resolve);
      req.end();
    });
    expect(err.code).toMatch(/ECONNRESET|socket hang up/i);
    expect((await api(m, 'GET', '/locations')).status).toBe(200);
  });

  it('applyThen: performs the change, then fails, so a retried create meets uniqueness_error', async () => {
    const m = await mock();
    m.faults.add({
      match: { method: 'POST', path: '/servers' },
      when: { times: 1 },
      effect: { applyThen: { status: 504, code: 'timeout', message: 'gateway timeout' } },
    });
    const first = await api(m, 'POST', '/servers', createServerBody('retry-me'));
    expect(first.status).toBe(504);
    expect([...m.state.servers.values()].some((s) => s.name === 'retry-me')).toBe(true);
    const retry = await api(m, 'POST', '/servers', createServerBody('retry-me'));
    expect(retry.status).toBe(409);
    expect(retry.body.error.code).toBe('uniqueness_error');
  });

  it('applyThen with a reset drops the response after the change', async () => {
    const m = await mock({ seedData: false });
    m.faults.add({
      match: { method: 'POST', path: '/placement_groups' },
      when: { times: 1 },
      effect: { applyThen: { reset: true } },
    });
    await expect(api(m, 'POST', '/placement_groups', { name: 'pg', type: 'spread' })).rejects.toThrow();
    expect([...m.state.placementGroups.values()].map((p) => p.name)).toEqual(['pg']);
  });

  it('makes the actions of a matching request fail, optionally only one command', async () => {
    const m = await mock();
    m.faults.add({
      match: { method: 'POST', path: '/servers' },
      when: { times: 1 },
      effect: { actionFail: { code: 'action_failed', message: 'no capacity' }, command: 'start_server' },
    });
    const c = await api(m, 'POST', '/servers', createServerBody('fails'));
    const [create, start] = await waitActions(m, [c.body.action.id, c.body.next_actions[0].id]);
    expect(create!.status).toBe('success');
    expect(start).toMatchObject({ status: 'error', error: { code: 'action_failed', message: 'no capacity' } });
    expect(m.state.servers.get(c.body.server.id)!.status).toBe('starting');
  });

  it('slows the actions of a matching request', async () => {
    const m = await mock();
    const sid = [...m.state.servers.values()][0]!.id;
    m.faults.add({
      match: { path: '/servers/{id}/actions/reboot' },
      when: { times: 1 },
      effect: { actionDurationMs: 60_000 },
    });
    const slow = await api(m, 'POST', `/servers/${sid}/actions/reboot`);
    await new Promise((res) => setTimeout(res, 100));
    expect(m.state.actions.get(slow.body.action.id)!.status).toBe('running');
    // Only the matching request's actions are slowed.
    settle(m, [slow.body.action.id]);
    const normal = await api(m, 'POST', `/servers/${sid}/actions/reboot`);
    await waitActions(m, [normal.body.action.id], 3000);
  });

  it('fires by probability deterministically for a seed', async () => {
    const run = async () => {
      const m = await mock({ seed: 42 });
      m.faults.add({ match: { path: '/locations' }, when: { probability: 0.5 }, effect: { bareStatus: 503 } });
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await api(m, 'GET', '/locations')).status);
      return statuses;
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    expect(a.filter((s) => s === 503).length).toBeGreaterThan(2);
    expect(a.filter((s) => s === 200).length).toBeGreaterThan(2);
  });

  it('chaos injects the chosen transient failures at the given rate, reproducibly', async () => {
    const run = async () => {
      const m = await mock();
      m.faults.chaos({ seed: 7, rate: 0.6, kinds: ['conflict', 'badGateway'] });
      const out: string[] = [];
      for (let i = 0; i < 25; i++) {
        const r = await api(m, 'GET', '/locations');
        out.push(r.status === 200 ? 'ok' : r.status === 409 ? r.body.error.code : `bare${r.status}`);
      }
      return out;
    };
    const a = await run();
    expect(a).toEqual(await run());
    expect(new Set(a)).toEqual(new Set(['ok', 'conflict', 'bare502']));
  });

  it('matches on the request body', async () => {
    const m = await mock({ seedData: false });
    m.faults.add({
      match: { method: 'POST', body: (b) => (b as { name?: string })?.name === 'bad' },
      effect: m.faults.presets.serverError(),
    });
    expect((await api(m, 'POST', '/placement_groups', { name: 'bad', type: 'spread' })).status).toBe(500);
    expect((await api(m, 'POST', '/placement_groups', { name: 'good', type: 'spread' })).status).toBe(201);
  });
});

describe('control API and observability', () => {
  it('adds faults with a regex path string, lists, removes and clears them', async () => {
    const m = await mock();
    const base = m.url.replace(/\/v1$/, '');
    const add = await fetch(`${base}/__mock/faults`, {
      method: 'POST',
      body: JSON.stringify({
        match: { method: 'GET', path: '^/server_types$' },
        when: { times: 1 },
        effect: { status: 503, code: 'unavailable' },
      }),
    });
    expect(add.status).toBe(201);
    const { id } = (await add.json()) as { id: number };
    const list = (await (await fetch(`${base}/__mock/faults`)).json()) as {
      faults: { id: number; rule: { match: { path: string } } }[];
    };
    expect(list.faults[0]).toMatchObject({ id, rule: { match: { path: '^/server_types$' } } });
    expect((await api(m, 'GET', '/server_types')).status).toBe(503);
    expect((await api(m, 'GET', '/server_types')).status).toBe(200);
    const second = (await (
      await fetch(`${base}/__mock/faults`, { method: 'POST', body: JSON.stringify({ effect: { delayMs: 1 } }) })
    ).json()) as { id: number };
    expect((await fetch(`${base}/__mock/faults/${second.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${base}/__mock/faults`, { method: 'DELETE' })).status).toBe(204);
    expect(m.faults.list()).toEqual([]);
    const bad = await fetch(`${base}/__mock/faults`, {
      method: 'POST',
      body: JSON.stringify({ effect: { nonsense: 1 } }),
    });
    expect(bad.status).toBe(400);
  });

  it('switches concurrent set_rules behaviour and adds chaos through the control API', async () => {
    const m = await mock();
    const base = m.url.replace(/\/v1$/, '');
    const r = await fetch(`${base}/__mock/faults`, {
      method: 'POST',
      body: JSON.stringify({ concurrentSetRules: 'locked' }),
    });
    expect(await r.json()).toEqual({ concurrentSetRules: 'locked' });
    expect(m.state.concurrentSetRules).toBe('locked');
    const c = await fetch(`${base}/__mock/faults`, {
      method: 'POST',
      body: JSON.stringify({ chaos: { rate: 1, kinds: ['locked'] } }),
    });
    expect(c.status).toBe(201);
    expect((await api(m, 'GET', '/locations')).body.error.code).toBe('locked');
  });

  it('logs requests, counts them per templated endpoint and status, and tracks peak in-flight', async () => {
    const m = await mock();
    const sid = [...m.state.servers.values()][0]!.id;
    m.faults.add({ match: { path: '/locations' }, effect: { delayMs: 600 } });
    await Promise.all([api(m, 'GET', '/locations'), api(m, 'GET', '/locations'), api(m, 'GET', '/locations')]);
    await api(m, 'GET', `/servers/${sid}`);
    await api(m, 'POST', `/servers/${sid}/actions/poweroff`);
    await api(m, 'GET', '/servers/1');
    const stats = m.stats();
    expect(stats.total).toBe(6);
    expect(stats.byEndpoint).toEqual({
      'GET /locations': 3,
      'GET /servers/{id}': 2,
      'POST /servers/{id}/actions/poweroff': 1,
    });
    expect(stats.byStatus).toEqual({ '200': 4, '201': 1, '404': 1 });
    expect(stats.peakInFlight).toBe(3);
    const last = m.requests.at(-1)!;
    expect(last).toMatchObject({
      method: 'GET',
      path: '/servers/1',
      status: 404,
      code: 'not_found',
      endpoint: 'GET /servers/{id}',
    });
    const base = m.url.replace(/\/v1$/, '');
    const remote = (await (await fetch(`${base}/__mock/stats`)).json()) as { total: number };
    expect(remote.total).toBe(6);
    const reqs = (await (await fetch(`${base}/__mock/requests`)).json()) as { requests: unknown[] };
    expect(reqs.requests).toHaveLength(6);
  });

  it('POST /__mock/reset restores seed state, clears faults, logs and stats', async () => {
    const m = await mock();
    const base = m.url.replace(/\/v1$/, '');
    await api(m, 'POST', '/placement_groups', { name: 'extra', type: 'spread' });
    m.faults.add({ effect: { delayMs: 1 } });
    expect((await fetch(`${base}/__mock/reset`, { method: 'POST' })).status).toBe(204);
    expect([...m.state.placementGroups.values()].map((p) => p.name)).toEqual(['spread-demo']);
    expect(m.faults.list()).toEqual([]);
    expect(m.requests).toEqual([]);
    expect(m.stats().total).toBe(0);
  });

  it('completes a manual action through the control API', async () => {
    const m = await mock({ manualActions: true });
    const sid = [...m.state.servers.values()][0]!.id;
    const r = await api(m, 'POST', `/servers/${sid}/actions/poweroff`);
    const base = m.url.replace(/\/v1$/, '');
    const done = await fetch(`${base}/__mock/actions/${r.body.action.id}/complete`, {
      method: 'POST',
      body: JSON.stringify({ error: { code: 'unknown_error', message: 'server is locked' } }),
    });
    expect(((await done.json()) as { action: { status: string } }).action.status).toBe('error');
    // A failed poweroff leaves the server as it was.
    expect(m.state.servers.get(sid)!.status).toBe('running');
  });

  it('produces the same IDs and IPs for the same seed', async () => {
    const a = await mock({ seed: 9 });
    const b = await mock({ seed: 9 });
    const ra = await api(a, 'POST', '/servers', createServerBody('same'));
    const rb = await api(b, 'POST', '/servers', createServerBody('same'));
    expect(ra.body.server.id).toBe(rb.body.server.id);
    expect(ra.body.server.public_net).toEqual(rb.body.server.public_net);
    expect(ra.body.root_password).toBe(rb.body.root_password);
  });
});
