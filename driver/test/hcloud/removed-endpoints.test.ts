// Datacenters are gone from the API (2026-07-01): the client never builds a request for /datacenters.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HcloudClient } from '../../src/hcloud';

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('/datacenters', () => {
  it.each([
    '/datacenters',
    '/datacenters/4',
    '/Datacenters',
    '//datacenters',
    '/./datacenters',
    '/servers/../datacenters',
    '/%64atacenters/1',
  ])('%s is refused before any request', async (path) => {
    const seen: string[] = [];
    vi.stubGlobal('fetch', async (url: string | URL | Request) => {
      seen.push(String(url));
      return new Response('{"datacenters":[]}', { headers: { 'content-type': 'application/json' } });
    });
    const client = new HcloudClient({ token: 'tok', endpoint: 'http://127.0.0.1:9/v1' });
    await expect(client.request('GET', path)).rejects.toThrow(/datacenters were removed from the API/);
    await expect(client.listAll(path, 'datacenters')).rejects.toThrow(/refused/);
    expect(seen).toEqual([]);
  });

  it('other paths that merely contain the word still go out', async () => {
    const seen: string[] = [];
    vi.stubGlobal('fetch', async (url: string | URL | Request) => {
      seen.push(String(url));
      return new Response('{"servers":[]}', { headers: { 'content-type': 'application/json' } });
    });
    const client = new HcloudClient({ token: 'tok', endpoint: 'http://127.0.0.1:9/v1' });
    await client.request('GET', '/servers', { query: { name: 'datacenters' } });
    await client.request('GET', '/locations/datacenters-old');
    expect(seen).toEqual([
      'http://127.0.0.1:9/v1/servers?name=datacenters',
      'http://127.0.0.1:9/v1/locations/datacenters-old',
    ]);
  });
});
