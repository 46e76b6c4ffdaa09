// The client against the stateful mock API (hcloud-mock) over loopback: real actions, locks, pagination,
// rate limiting and injected faults, with short durations so the file stays fast.
import { randomBytes } from 'node:crypto';
import { type MockServer, presets, startMock } from 'hcloud-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ActionError,
  HcloudClient,
  type HcloudClientOptions,
  HcloudNetworkError,
  HttpStatusError,
  isHcloudError,
} from '../../src/hcloud';

const TOKEN = 'mock-token-SECRET-0123456789abcdefghijklmnopqrstuvwxyz';
let mock: MockServer | undefined;

afterEach(async () => {
  await mock?.stop();
  mock = undefined;
});

async function setup(mockOpts: Parameters<typeof startMock>[0] = {}, clientOpts: Partial<HcloudClientOptions> = {}) {
  mock = await startMock({
    seed: 7,
    tokens: [TOKEN],
    defaultActionMs: 60,
    labelSelectorPropagationMs: 30,
    ...mockOpts,
  });
  const client = new HcloudClient({
    token: TOKEN,
    endpoint: mock.url,
    requestTimeoutMs: 5000,
    backoff: { baseMs: 10, capMs: 100 },
    poll: { initialMs: 20, maxMs: 200, factor: 1.5 },
    ...clientOpts,
  });
  return { mock, client };
}

const publicKey = () => `ssh-ed25519 ${randomBytes(51).toString('base64')} test@example`;

describe('HcloudClient against the mock API', () => {
  it('creates a server, waits for its actions, powers it off and deletes it', async () => {
    const { client } = await setup();
    const key = await client.sshKeys.create({ name: 'it-key', public_key: publicKey(), labels: { test: 'it' } });
    const created = await client.servers.create({
      name: 'it-node-1',
      server_type: 'cx23',
      image: 'ubuntu-24.04',
      location: 'fsn1',
      ssh_keys: [key.id],
      labels: { cluster: 'it', 'managed-by': 'test' },
      user_data: '#cloud-config\n',
    });
    expect(created.server.name).toBe('it-node-1');
    expect(created.action.command).toBe('create_server');
    expect(created.root_password).toBeNull();

    const done = await client.actions.waitFor([created.action, ...created.next_actions], { timeoutMs: 20_000 });
    expect(done.every((a) => a.status === 'success')).toBe(true);
    await client.actions.waitFor(await client.servers.actions(created.server.id, { status: 'running' }));

    const server = await client.servers.get(created.server.id);
    expect(server?.status).toBe('running');
    expect(server?.public_net.ipv4?.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect((await client.servers.getByName('it-node-1'))?.id).toBe(created.server.id);
    expect((await client.servers.list({ label_selector: 'cluster=it' })).map((s) => s.id)).toEqual([created.server.id]);

    await client.actions.waitFor([await client.servers.poweroff(created.server.id)]);
    expect((await client.servers.get(created.server.id))?.status).toBe('off');

    await client.actions.waitFor([await client.servers.delete(created.server.id)]);
    expect(await client.servers.get(created.server.id)).toBeNull();
    await client.sshKeys.delete(key.id);
    expect(await client.sshKeys.get(key.id)).toBeNull();
  });

  it('lists across three pages of 50', async () => {
    const { client, mock } = await setup();
    const total = 120;
    for (let i = 0; i < total; i += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, total - i) }, (_, j) =>
          client.sshKeys.create({ name: `page-key-${i + j}`, public_key: publicKey(), labels: { batch: 'pages' } }),
        ),
      );
    }
    const before = mock.requests.length;
    const keys = await client.sshKeys.list({ label_selector: 'batch=pages' });
    expect(keys).toHaveLength(total);
    expect(new Set(keys.map((k) => k.id)).size).toBe(total);
    const pages = mock.requests.slice(before).filter((r) => r.method === 'GET' && r.path === '/ssh_keys');
    expect(pages.map((r) => [r.query.page, r.query.per_page])).toEqual([
      ['1', '50'],
      ['2', '50'],
      ['3', '50'],
    ]);
  });

  it('retries injected conflicts and resets, but not a bare 503', async () => {
    const { client, mock } = await setup();
    mock.faults.add({ match: { method: 'POST', path: '/ssh_keys' }, when: { times: 2 }, effect: presets.conflict() });
    const key = await client.sshKeys.create({ name: 'retry-key', public_key: publicKey() });
    expect(client.stats.retries).toBe(2);

    mock.faults.add({ match: { method: 'GET', path: '/ssh_keys/{id}' }, when: { times: 1 }, effect: presets.reset() });
    expect((await client.sshKeys.get(key.id))?.name).toBe('retry-key');
    expect(client.stats.retries).toBe(3);

    mock.faults.add({
      match: { method: 'GET', path: '/ssh_keys/{id}' },
      when: { times: 1 },
      effect: presets.bare(503),
    });
    const err = await client.sshKeys.get(key.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpStatusError);
    expect((err as HttpStatusError).status).toBe(503);
    expect(client.stats.retries).toBe(3);
  });

  it('surfaces uniqueness_error when a create was applied but its answer lost (caller adopts by name)', async () => {
    const { client, mock } = await setup();
    mock.faults.add({
      match: { method: 'POST', path: '/placement_groups' },
      when: { times: 1 },
      effect: presets.applyThen(presets.bare(504)),
    });
    const err = await client.placementGroups.create({ name: 'pg-1', type: 'spread' }).catch((e: unknown) => e);
    expect(isHcloudError(err, 'uniqueness_error')).toBe(true);
    expect((await client.placementGroups.getByName('pg-1'))?.type).toBe('spread');
  });

  it('reports a failed action as ActionError', async () => {
    const { client, mock } = await setup();
    mock.faults.add({ effect: presets.actionFail('action_failed', 'server could not be created', 'create_server') });
    const created = await client.servers.create({ name: 'doomed', server_type: 'cx23', image: 'ubuntu-24.04' });
    const err = await client.actions.waitFor([created.action, ...created.next_actions]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActionError);
    expect((err as ActionError).code).toBe('action_failed');
    expect((err as ActionError).command).toBe('create_server');
  });

  it('paces itself by the rate-limit headers instead of failing', async () => {
    const { client, mock } = await setup({ rateLimit: { limit: 5, refillPerSecond: 40 } });
    for (let i = 0; i < 15; i++) await client.locations.list();
    expect(client.stats.rateLimitWaits).toBeGreaterThan(0);
    expect(client.rateLimit?.limit).toBe(5);
    // Without pacing about ten of these would be 429s. Reset has one-second resolution, so an occasional 429 is
    // possible (and retried); every call above succeeded.
    const limited = mock.requests.filter((r) => r.status === 429).length;
    expect(limited).toBeLessThanOrEqual(3);
  });

  it('ends hanging requests with a timeout error after the bounded retries', async () => {
    const { client, mock } = await setup({}, { requestTimeoutMs: 200, maxRetries: 1 });
    mock.faults.add({ match: { method: 'GET', path: '/locations' }, when: { times: 2 }, effect: presets.hang() });
    const started = Date.now();
    const err = await client.locations.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HcloudNetworkError);
    expect((err as HcloudNetworkError).kind).toBe('timeout');
    expect((err as Error).message).toMatch(/GET \/locations\?page=1&per_page=50 failed after 2 attempts/);
    expect(Date.now() - started).toBeLessThan(5000);
    // The fault is used up: the next call goes through.
    expect((await client.locations.list()).length).toBeGreaterThan(0);
  });
});
