// Capacity fallback against the mock: ordered type/location lists, PreCreateCheck vetting every pair, Create moving
// on when the API says a pair is unavailable, logging and recording the pair it used.
import type { MockServer } from 'hcloud-mock';
import { describe, expect, it } from 'vitest';
import { candidatePairs, parseChoices } from '../../src/driver/fallback';
import { captureLogger, configuredDriver, fastMockPerFile, resourcesOf, TOKEN } from './helpers';

let mock: MockServer;
fastMockPerFile(
  { tokens: [TOKEN], seedData: false },
  (m) => {
    mock = m;
  },
  { clearFaults: true },
);

function storedConfig(raw: Uint8Array): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(raw)) as Record<string, unknown>;
}

function serverPosts(name: string) {
  return mock.requests.filter(
    (r) => r.method === 'POST' && r.path === '/servers' && (r.body as { name?: string }).name === name,
  );
}

describe('lists', () => {
  it('parses comma-separated choices in order, without blanks or repeats', () => {
    expect(parseChoices(' cx23, cpx22 ,,cx23')).toEqual(['cx23', 'cpx22']);
    expect(parseChoices('fsn1')).toEqual(['fsn1']);
  });

  it('orders pairs location-major', () => {
    expect(candidatePairs(['a', 'b'], ['x', 'y'])).toEqual([
      { type: 'a', location: 'x' },
      { type: 'b', location: 'x' },
      { type: 'a', location: 'y' },
      { type: 'b', location: 'y' },
    ]);
  });
});

describe('capacity fallback', () => {
  it('skips the first two unavailable pairs, uses the third, logs and records it', async () => {
    const logger = captureLogger();
    const name = 'fb-chain';
    // Both fsn1 pairs are sold out at create time (after PreCreateCheck saw them available).
    mock.faults.add({
      match: { method: 'POST', path: '/servers', body: (b) => (b as { location?: string }).location === 'fsn1' },
      effect: { status: 412, code: 'resource_unavailable', message: 'server type is currently not available' },
    });
    const d = await configuredDriver(
      mock,
      name,
      { 'hetzner-server-type': 'cx23,cpx22', 'hetzner-server-location': 'fsn1,nbg1' },
      { logger },
    );
    await d.preCreateCheck();
    await d.create();

    const tried = serverPosts(name).map((r) => {
      const b = r.body as { server_type: string; location: string };
      return `${b.server_type}@${b.location}:${r.status}`;
    });
    expect(tried).toEqual(['cx23@fsn1:412', 'cpx22@fsn1:412', 'cx23@nbg1:201']);
    const srv = resourcesOf(mock, name).servers[0]!;
    expect(mock.state.location(srv.locationId).name).toBe('nbg1');
    expect(logger.text()).toMatch(/cx23 in fsn1 is not available \(resource_unavailable\); trying cpx22 in fsn1/);
    expect(logger.text()).toMatch(/Capacity fallback: using cx23 in nbg1/);
    const cfg = storedConfig(await d.getConfigRaw());
    expect(cfg).toMatchObject({ Type: 'cx23', Location: 'nbg1', ServerID: srv.id });
    await d.remove();
    expect(resourcesOf(mock, name)).toEqual({ servers: [], keys: [] });
  });

  it('fails with every pair listed when all are unavailable, leaving nothing behind', async () => {
    const name = 'fb-none';
    mock.faults.add({
      match: { method: 'POST', path: '/servers' },
      effect: { status: 412, code: 'resource_unavailable', message: 'not available' },
    });
    const d = await configuredDriver(mock, name, {
      'hetzner-server-type': 'cx23,cpx22',
      'hetzner-server-location': 'hel1',
    });
    await d.preCreateCheck();
    await expect(d.create()).rejects.toThrow(
      /no server could be created on any of the 2 type\/location pairs \(cx23 in hel1: resource_unavailable; cpx22 in hel1: resource_unavailable\)/,
    );
    expect(resourcesOf(mock, name)).toEqual({ servers: [], keys: [] });
  });

  it('does not fall back on errors that are not about capacity', async () => {
    const name = 'fb-other';
    mock.faults.add({
      match: { method: 'POST', path: '/servers' },
      when: { nth: 1 },
      effect: { status: 422, code: 'invalid_input', message: 'invalid input in field name' },
    });
    const d = await configuredDriver(mock, name, { 'hetzner-server-type': 'cx23,cpx22' });
    await d.preCreateCheck();
    await expect(d.create()).rejects.toThrow(/invalid input in field name/);
    expect(serverPosts(name)).toHaveLength(1);
  });

  it('PreCreateCheck vets every pair: unknown names fail, impossible pairs are skipped with a warning', async () => {
    const bad = await configuredDriver(mock, 'fb-bad', {
      'hetzner-server-type': 'cx23,cx99',
      'hetzner-server-location': 'fsn1,mars',
    });
    const err = await bad.preCreateCheck().catch((e: Error) => e);
    expect(String(err)).toMatch(/server type "cx99" does not exist/);
    expect(String(err)).toMatch(/location "mars" does not exist/);

    // cax11 is EU-only and arm: in ash it is skipped; in fsn1 it needs the arm image of the same name.
    const logger = captureLogger();
    const mixed = await configuredDriver(
      mock,
      'fb-mixed',
      { 'hetzner-server-type': 'cx23,cax11', 'hetzner-server-location': 'ash,fsn1' },
      { logger },
    );
    await mixed.preCreateCheck();
    expect(logger.text()).toMatch(/cx23 in ash is skipped: the type is not offered in that location/);
    expect(logger.text()).toMatch(/cax11 in ash is skipped/);
    mock.faults.add({
      match: { method: 'POST', path: '/servers', body: (b) => (b as { server_type?: string }).server_type === 'cx23' },
      effect: { status: 412, code: 'resource_unavailable', message: 'not available' },
    });
    await mixed.create();
    const posts = serverPosts('fb-mixed').map(
      (r) => r.body as { server_type: string; location: string; image: number },
    );
    expect(posts.map((b) => `${b.server_type}@${b.location}`)).toEqual(['cx23@fsn1', 'cax11@fsn1']);
    const images = [...mock.state.images.values()];
    expect(images.find((i) => i.id === posts[0]!.image)?.architecture).toBe('x86');
    expect(images.find((i) => i.id === posts[1]!.image)?.architecture).toBe('arm');
    expect(storedConfig(await mixed.getConfigRaw())).toMatchObject({
      Type: 'cax11',
      Location: 'fsn1',
      ImageArch: 'arm',
    });
    await mixed.remove();
  });

  it('keeps sold-out pairs in the chain but fails when every pair is sold out', async () => {
    // ccx13 is not available in sin; mark cpx22 sold out there too for this check.
    const cpx22 = [...mock.state.serverTypes.values()].find((t) => t.name === 'cpx22')!;
    const sinEntry = cpx22.locations.find((l) => l.name === 'sin')!;
    sinEntry.available = false;
    try {
      const allOut = await configuredDriver(mock, 'fb-soldout', {
        'hetzner-server-type': 'ccx13,cpx22',
        'hetzner-server-location': 'sin',
      });
      await expect(allOut.preCreateCheck()).rejects.toThrow(
        /every pair is sold out right now \(ccx13 in sin, cpx22 in sin\)/,
      );
    } finally {
      sinEntry.available = true;
    }
    const logger = captureLogger();
    const some = await configuredDriver(
      mock,
      'fb-some',
      { 'hetzner-server-type': 'ccx13', 'hetzner-server-location': 'sin,hel1' },
      { logger },
    );
    await some.preCreateCheck();
    expect(logger.text()).toMatch(/ccx13 in sin is sold out right now; Create still tries it in turn/);
    await some.create();
    expect(serverPosts('fb-some').map((r) => `${(r.body as { location: string }).location}:${r.status}`)).toEqual([
      'sin:412',
      'hel1:201',
    ]);
    await some.remove();
  });

  it('with lists, the rules that need no API are reported together with unknown names', async () => {
    const d = await configuredDriver(mock, 'fb-all-at-once', {
      'hetzner-server-type': 'cx23,cx99',
      'hetzner-server-labels': ['managed-by=me'],
    });
    const err = String(await d.preCreateCheck().catch((e: Error) => e));
    expect(err).toMatch(/server type "cx99" does not exist/);
    expect(err).toMatch(/hetzner-server-labels: .*reserved/);
  });

  it('a catalogue read that fails is reported even when the first pair then checks out', async () => {
    // Only the catalogue's list of types fails; the first pair's own lookups succeed.
    mock.faults.add({
      match: { method: 'GET', path: '/server_types' },
      when: { nth: 1 },
      effect: { status: 403, code: 'forbidden', message: 'insufficient permissions' },
    });
    const d = await configuredDriver(mock, 'fb-catalogue', { 'hetzner-server-type': 'cx23,cpx22' });
    await expect(d.preCreateCheck()).rejects.toThrow(
      /^Invalid Hetzner machine configuration: hetzner-api-token: the token may not do this \(forbidden\)/,
    );
    expect(resourcesOf(mock, 'fb-catalogue')).toEqual({ servers: [], keys: [] });
  });

  it('a single type and location behave exactly as before', async () => {
    const d = await configuredDriver(mock, 'fb-single', {
      'hetzner-server-type': 'ccx13',
      'hetzner-server-location': 'sin',
    });
    await expect(d.preCreateCheck()).rejects.toThrow(/server type ccx13 is currently sold out in sin/);
  });
});
