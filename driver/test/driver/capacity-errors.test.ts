// Capacity problems at create time (issue 18): the type sold out, no host for the placement, the project's limits.
// Create makes one request for the pair, stops, says what to change, and leaves nothing behind. (Moving on to the
// next pair of a fallback list is in fallback.test.ts.)
import type { FaultRule, MockServer } from 'hcloud-mock';
import { describe, expect, it } from 'vitest';
import { configuredDriver, fastMockPerFile, resourcesOf, TOKEN } from './helpers';

let mock: MockServer;
fastMockPerFile(
  { tokens: [TOKEN] },
  (m) => {
    mock = m;
  },
  { clearFaults: true },
);

const postServers = (effect: FaultRule['effect']): FaultRule => ({
  match: { method: 'POST', path: '/servers' },
  effect,
});

function serverPosts(name: string): number {
  return mock.requests.filter(
    (r) => r.method === 'POST' && r.path === '/servers' && (r.body as { name?: string }).name === name,
  ).length;
}

async function failedCreate(name: string, fault: FaultRule, values: Record<string, string> = {}): Promise<string> {
  const d = await configuredDriver(mock, name, values);
  await d.preCreateCheck();
  mock.faults.add(fault);
  const err = await d.create().then(
    () => null,
    (e: unknown) => e as Error,
  );
  expect(err).toBeInstanceOf(Error);
  expect(resourcesOf(mock, name)).toEqual({ servers: [], keys: [] });
  expect(serverPosts(name)).toBe(1);
  return err!.message;
}

describe('capacity errors at create', () => {
  it('a sold-out type: names the pair and the flags that add fallbacks', async () => {
    const msg = await failedCreate(
      'cap-sold-out',
      postServers({ status: 412, code: 'resource_unavailable', message: 'server type not available' }),
    );
    expect(msg).toMatch(
      /Hetzner has no cx23 available in fsn1 right now \(resource_unavailable: server type not available\): add fallback types to --hetzner-server-type \(e\.g\. "cx23,<another type>"\) or fallback locations to --hetzner-server-location \(e\.g\. "fsn1,<another location>"\), or try again later/,
    );
    expect(msg).toMatch(/Everything it created has been removed/);
  });

  it('a full placement group: names the group and the spread option', async () => {
    const pg = [...mock.state.placementGroups.values()].find((p) => p.name === 'spread-demo')!;
    const msg = await failedCreate(
      'cap-placement',
      postServers({ status: 422, code: 'placement_error', message: 'no host satisfies the spread placement' }),
      { 'hetzner-placement-group': String(pg.id) },
    );
    expect(msg).toMatch(
      new RegExp(
        `could not place a cx23 server in fsn1 in placement group ${pg.id} \\(placement_error: no host satisfies the spread placement\\): .*use --hetzner-placement-group-spread`,
      ),
    );
  });

  it('a placement failure without a group: the fallback flags', async () => {
    const msg = await failedCreate(
      'cap-placement-nogroup',
      postServers({ status: 422, code: 'placement_error', message: 'no host available' }),
    );
    expect(msg).toMatch(
      /could not place a cx23 server in fsn1 \(placement_error: no host available\): add fallback types/,
    );
    expect(msg).not.toMatch(/placement-group-spread/);
  });

  it('a type the location does not take: says so and how to choose again', async () => {
    const msg = await failedCreate(
      'cap-unsupported',
      postServers({ status: 422, code: 'invalid_input', message: 'unsupported location for server type' }),
    );
    expect(msg).toMatch(
      /server type cx23 cannot be created in fsn1 \(invalid_input: unsupported location for server type\): choose a type sold there, or add fallback types/,
    );
  });

  it('a project limit stops a fallback list at its first pair and says what to change', async () => {
    const msg = await failedCreate(
      'cap-limit',
      postServers({
        status: 403,
        code: 'resource_limit_exceeded',
        message: 'server limit exceeded',
        details: { limits: [{ name: 'server_limit' }] },
      }),
      { 'hetzner-server-type': 'cx23,cpx22', 'hetzner-server-location': 'fsn1,nbg1' },
    );
    expect(msg).toMatch(
      /the Hetzner Cloud project has reached a limit \(server_limit\) and cannot take another cx23 in fsn1 \(resource_limit_exceeded: server limit exceeded\): ask Hetzner to raise the project's limits .*lower the pool's maximum size/,
    );
  });

  it('a project limit on a single pair, without details', async () => {
    const msg = await failedCreate(
      'cap-limit-single',
      postServers({ status: 403, code: 'resource_limit_exceeded', message: 'limit reached' }),
    );
    expect(msg).toMatch(/the Hetzner Cloud project has reached a limit and cannot take another cx23 in fsn1/);
  });
});
