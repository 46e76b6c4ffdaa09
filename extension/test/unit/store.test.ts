import { describe, expect, it } from 'vitest';
import {
  authHeaders,
  buildUrl,
  HetznerRequestError,
  MAX_PAGES,
  PAGE_SIZE,
} from '../../pkg/hetzner-node-driver/store/hetzner';
import { catalog, sshKeys } from '../fixtures/catalog';
import { rancherError } from '../fixtures/fake-proxy';
import { makeStore } from './store-helper';

const CRED = 'cattle-global-data:cc-test';

describe('hetzner store: lists', () => {
  it('follows meta.pagination.next_page over three pages of 50 and returns every item in order', async() => {
    const { store, proxy } = makeStore();
    const keys = await store.dispatch('hetzner/list', { credentialId: CRED, resource: 'ssh_keys' });

    expect(keys.map((k: { name: string }) => k.name)).toEqual(sshKeys.map((k) => k.name));
    expect(keys).toHaveLength(120);
    const urls = proxy.calls.map((c) => c.url);

    expect(urls).toEqual([
      '/meta/proxy/api.hetzner.cloud/v1/ssh_keys?page=1&per_page=50',
      '/meta/proxy/api.hetzner.cloud/v1/ssh_keys?page=2&per_page=50',
      '/meta/proxy/api.hetzner.cloud/v1/ssh_keys?page=3&per_page=50',
    ]);
    expect(PAGE_SIZE).toBe(50);
  });

  it('signs with the saved credential (cattle auth header naming apiToken) and never sends the raw header', async() => {
    const { store, proxy } = makeStore();

    await store.dispatch('hetzner/list', { credentialId: CRED, resource: 'locations' });
    const h = proxy.calls[0]!.headers;

    expect(h['x-api-cattleauth-header']).toBe(`Bearer credID=${ CRED } passwordField=apiToken`);
    expect(h['x-api-auth-header']).toBeUndefined();
    expect(h.Accept).toBe('application/json');
    expect(proxy.calls[0]!.method).toBe('GET');
  });

  it('caches per credential and query; force reloads; another credential fetches its own', async() => {
    const { store, proxy } = makeStore({ credentials: { [CRED]: 'rw-token', 'cattle-global-data:cc-other': 'rw-token' } });

    await store.dispatch('hetzner/list', {
      credentialId: CRED, resource: 'images', query: { type: 'system' }
    });
    await store.dispatch('hetzner/list', {
      credentialId: CRED, resource: 'images', query: { type: 'system' }
    });
    expect(proxy.calls).toHaveLength(1);
    const snaps = await store.dispatch('hetzner/list', {
      credentialId: CRED, resource: 'images', query: { type: 'snapshot' }
    });

    expect(snaps.every((i: { type: string }) => i.type === 'snapshot')).toBe(true);
    expect(proxy.calls).toHaveLength(2);
    expect(proxy.calls[1]!.url).toContain('type=snapshot');
    await store.dispatch('hetzner/list', {
      credentialId: 'cattle-global-data:cc-other', resource: 'images', query: { type: 'system' }
    });
    expect(proxy.calls).toHaveLength(3);
    await store.dispatch('hetzner/list', {
      credentialId: CRED, resource: 'images', query: { type: 'system' }, force: true
    });
    expect(proxy.calls).toHaveLength(4);
    await store.dispatch('hetzner/onLogout');
    await store.dispatch('hetzner/list', {
      credentialId: CRED, resource: 'images', query: { type: 'system' }
    });
    expect(proxy.calls).toHaveLength(5);
  });

  it('shares one load between concurrent callers (pools of a cluster open together), and not a failed one', async() => {
    const { store, proxy } = makeStore({ fail: { firewalls: { status: 503 } } });
    const list = (resource: string, force = false) => store.dispatch('hetzner/list', {
      credentialId: CRED, resource, force
    });
    const [a, b] = await Promise.all([list('ssh_keys'), list('ssh_keys')]);

    expect(b).toEqual(a);
    expect(proxy.calls).toHaveLength(3);
    // A forced reload does not settle for a load already under way.
    await Promise.all([list('locations'), list('locations', true)]);
    expect(proxy.calls).toHaveLength(5);
    const failed = await Promise.allSettled([list('firewalls'), list('firewalls')]);

    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(proxy.calls).toHaveLength(6);
    // A failure is not remembered: the next call tries again.
    await expect(list('firewalls')).rejects.toBeInstanceOf(HetznerRequestError);
    expect(proxy.calls).toHaveLength(7);
  });

  it('rejects with an actionable error: API codes, proxy refusals and a wrong response shape', async() => {
    const { store } = makeStore({
      fail: {
        networks:  { status: 429, body: { error: { code: 'rate_limit_exceeded', message: 'limit reached' } } },
        firewalls: { status: 503 },
      },
    });
    const networks = store.dispatch('hetzner/list', { credentialId: CRED, resource: 'networks' });

    await expect(networks).rejects.toBeInstanceOf(HetznerRequestError);
    await expect(networks).rejects.toMatchObject({
      detail: {
        key: 'code.rate_limit_exceeded', code: 'rate_limit_exceeded', status: 429
      },
    });
    await expect(store.dispatch('hetzner/list', { credentialId: CRED, resource: 'firewalls' })).rejects.toMatchObject({ detail: { key: 'proxyRefused', args: { status: 503 } } });
    const unknown = makeStore({ credentials: {} }).store;

    await expect(unknown.dispatch('hetzner/list', { credentialId: CRED, resource: 'locations' })).rejects.toMatchObject({ detail: { key: 'code.unauthorized' } });
  });

  it('lists primary IPs and volumes over every page, with their own cache keys', async() => {
    const data = catalog();

    // 60 primary IPs and 120 volumes: two and three pages at 50 per page.
    data.primary_ips = Array.from({ length: 60 }, (_, i) => ({
      id: 9000 + i, name: `ip-${ i }`, ip: `198.51.100.${ i }`, type: i % 2 ? 'ipv6' : 'ipv4', assignee_id: null, location: { name: 'fsn1' }
    }));
    data.volumes = Array.from({ length: 120 }, (_, i) => ({
      id: 8000 + i, name: `vol-${ i }`, size: 10, server: i % 3 ? null : 1, location: { name: 'nbg1' }
    }));
    const { store, proxy } = makeStore({ data });
    const ips = await store.dispatch('hetzner/list', { credentialId: CRED, resource: 'primary_ips' });
    const vols = await store.dispatch('hetzner/list', { credentialId: CRED, resource: 'volumes' });

    expect(ips.map((p: { id: number }) => p.id)).toEqual(data.primary_ips.map((p) => p.id));
    expect(vols).toHaveLength(120);
    expect(vols[119]).toEqual(data.volumes[119]);
    expect(proxy.calls.map((c) => c.url)).toEqual([
      '/meta/proxy/api.hetzner.cloud/v1/primary_ips?page=1&per_page=50',
      '/meta/proxy/api.hetzner.cloud/v1/primary_ips?page=2&per_page=50',
      '/meta/proxy/api.hetzner.cloud/v1/volumes?page=1&per_page=50',
      '/meta/proxy/api.hetzner.cloud/v1/volumes?page=2&per_page=50',
      '/meta/proxy/api.hetzner.cloud/v1/volumes?page=3&per_page=50',
    ]);
    expect(proxy.calls.every((c) => c.method === 'GET' && c.headers['x-api-cattleauth-header'] === `Bearer credID=${ CRED } passwordField=apiToken`)).toBe(true);
    // Cached per credential like the other lists; a forced reload fetches every page again.
    await store.dispatch('hetzner/list', { credentialId: CRED, resource: 'primary_ips' });
    expect(proxy.calls).toHaveLength(5);
    await store.dispatch('hetzner/list', {
      credentialId: CRED, resource: 'primary_ips', force: true
    });
    expect(proxy.calls).toHaveLength(7);
  });

  it('stops on a next_page that does not advance and bounds the page loop', async() => {
    let n = 0;
    const { store } = makeStore();

    store.hotUpdate({
      modules: {
        management: {
          namespaced: true,
          actions:    {
            request: () => {
              n++;

              return { locations: [catalog().locations[0]], meta: { pagination: { page: 1, next_page: 1 } } };
            },
          },
        },
      },
    });
    const out = await store.dispatch('hetzner/list', { credentialId: CRED, resource: 'locations' });

    expect(out).toHaveLength(1);
    expect(n).toBe(1);

    let page = 0;

    store.hotUpdate({
      modules: {
        management: {
          namespaced: true,
          actions:    { request: () => ({ locations: [], meta: { pagination: { next_page: ++page + 1 } } }) },
        },
      },
    });
    await store.dispatch('hetzner/list', { credentialId: 'x', resource: 'locations' });
    expect(page).toBe(MAX_PAGES);

    store.hotUpdate({ modules: { management: { namespaced: true, actions: { request: () => ({ oops: [] }) } } } });
    await expect(store.dispatch('hetzner/list', { credentialId: 'y', resource: 'locations' })).rejects.toMatchObject({ detail: { key: 'shape', args: { resource: 'locations' } } });
  });
});

describe('hetzner store: token test', () => {
  it('accepts a read-write token using the raw-token header, without creating anything', async() => {
    const { store, proxy } = makeStore();

    await expect(store.dispatch('hetzner/testToken', { token: 'rw-token' })).resolves.toEqual({
      valid:    true,
      readOnly: false,
    });
    expect(proxy.calls.map((c) => `${ c.method } ${ c.url }`)).toEqual([
      'GET /meta/proxy/api.hetzner.cloud/v1/locations?per_page=1',
      'POST /meta/proxy/api.hetzner.cloud/v1/ssh_keys',
    ]);
    for (const c of proxy.calls) {
      expect(c.headers['x-api-auth-header']).toBe('Bearer rw-token');
      expect(c.headers['x-api-cattleauth-header']).toBeUndefined();
    }
    expect(proxy.calls[1]!.data).toEqual({});
  });

  it('reports an invalid token and a read-only token', async() => {
    const { store } = makeStore();
    const bad = await store.dispatch('hetzner/testToken', { token: 'nope' });

    expect(bad).toMatchObject({
      valid: false, readOnly: false, error: { code: 'unauthorized', status: 401 }
    });
    const ro = await store.dispatch('hetzner/testToken', { token: 'ro-token' });

    expect(ro).toMatchObject({
      valid: true, readOnly: true, error: { code: 'token_readonly' }
    });
  });
});

describe('request helpers', () => {
  it('builds proxy URLs with repeated array parameters', () => {
    expect(buildUrl('/images', { type: ['system', 'snapshot'], page: 2 })).toBe(
      '/meta/proxy/api.hetzner.cloud/v1/images?type=system&type=snapshot&page=2',
    );
    expect(authHeaders({ token: 't0k' })).toEqual({ 'x-api-auth-header': 'Bearer t0k' });
  });

  it('keeps the token out of error messages', async() => {
    const { store } = makeStore();

    try {
      await store.dispatch('hetzner/request', { auth: { token: 'secret-token-value' }, path: 'locations' });
      expect.unreachable();
    } catch (e) {
      expect(JSON.stringify((e as HetznerRequestError).detail)).not.toContain('secret-token-value');
      expect(String(e)).not.toContain('secret-token-value');
    }
    expect(rancherError(500)).toEqual({});
  });
});
