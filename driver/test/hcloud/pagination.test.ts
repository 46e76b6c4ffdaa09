import { describe, expect, it } from 'vitest';
import { type Scripted, type Step, scriptedClients } from './scripted-server';

const start = scriptedClients();
let api: Scripted | undefined;
async function setup(steps: Step[]) {
  const made = await start(steps);
  api = made.api;
  return made.client;
}

function page(key: string, ids: number[], pageNo: number, next: number | null, last: number) {
  return {
    json: {
      [key]: ids.map((id) => ({ id, name: `s${id}` })),
      meta: {
        pagination: {
          page: pageNo,
          per_page: 50,
          previous_page: pageNo > 1 ? pageNo - 1 : null,
          next_page: next,
          last_page: last,
          total_entries: 120,
        },
      },
    },
  };
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe('pagination', () => {
  it('walks three pages of 50 with the filters repeated on every page', async () => {
    const q = 'label_selector=cluster%3Dc1%2Cmanaged-by%3Drancher&status=running&status=off';
    const client = await setup([
      { method: 'GET', path: `/servers?${q}&page=1&per_page=50`, ...page('servers', range(1, 50), 1, 2, 3) },
      { method: 'GET', path: `/servers?${q}&page=2&per_page=50`, ...page('servers', range(51, 50), 2, 3, 3) },
      { method: 'GET', path: `/servers?${q}&page=3&per_page=50`, ...page('servers', range(101, 20), 3, null, 3) },
    ]);
    const servers = await client.servers.list({
      label_selector: 'cluster=c1,managed-by=rancher',
      status: ['running', 'off'],
    });
    expect(servers.map((s) => s.id)).toEqual(range(1, 120));
    api?.assertDone();
    expect(client.stats.byEndpoint.get('GET /servers')).toBe(3);
  });

  it('stops when next_page is 0 or meta is missing', async () => {
    const client = await setup([
      { method: 'GET', path: '/ssh_keys?page=1&per_page=50', ...page('ssh_keys', [1], 1, 0, 1) },
      { method: 'GET', path: '/locations?page=1&per_page=50', json: { locations: [{ id: 1 }] } },
    ]);
    expect(await client.sshKeys.list()).toHaveLength(1);
    expect(await client.locations.list()).toHaveLength(1);
    api?.assertDone();
  });

  it('fetches no further page when the consumer stops iterating', async () => {
    const client = await setup([
      { method: 'GET', path: '/firewalls?page=1&per_page=50', ...page('firewalls', range(1, 50), 1, 2, 3) },
    ]);
    const seen: number[] = [];
    for await (const fw of client.paginate<{ id: number }>('/firewalls', 'firewalls')) {
      seen.push(fw.id);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual([1, 2, 3]);
    api?.assertDone();
    expect(api?.calls).toHaveLength(1);
  });

  it('follows next_page even when it skips, and refuses to go backwards', async () => {
    const client = await setup([
      { method: 'GET', path: '/images?page=1&per_page=50', ...page('images', [1], 1, 4, 4) },
      { method: 'GET', path: '/images?page=4&per_page=50', ...page('images', [2], 4, 1, 4) },
    ]);
    expect((await client.images.list()).map((i) => i.id)).toEqual([1, 2]);
    api?.assertDone();
  });

  it('fails clearly when the list key is missing', async () => {
    const client = await setup([{ method: 'GET', path: '/volumes?page=1&per_page=50', json: { things: [] } }]);
    await expect(client.volumes.list()).rejects.toThrow('Hetzner API list /volumes answered without a "volumes" array');
  });
});
