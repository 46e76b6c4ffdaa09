// The price line PreCreateCheck logs: the `prices[]` entry of the location the server goes to, and whether the type
// can be ordered there, both from the API.
import type { MockServer } from 'hcloud-mock';
import { describe, expect, it } from 'vitest';
import { costLine, orderable } from '../../src/driver/cost';
import type { ServerType } from '../../src/hcloud';
import { captureLogger, configuredDriver, fastMockPerFile, TOKEN } from './helpers';

let mock: MockServer;
fastMockPerFile({ tokens: [TOKEN], seedData: false }, (m) => {
  mock = m;
});

const TB = 1024 ** 4;
function price(location: string, monthlyGross: string, hourlyGross: string, includedTb = 20) {
  return {
    location,
    price_hourly: { net: '0', gross: hourlyGross },
    price_monthly: { net: '0', gross: monthlyGross },
    included_traffic: includedTb * TB,
  };
}
function type(over: Partial<ServerType> = {}): ServerType {
  return {
    id: 1,
    name: 'cpx22',
    description: 'CPX22',
    cores: 2,
    memory: 4,
    disk: 80,
    storage_type: 'local',
    cpu_type: 'shared',
    architecture: 'x86',
    prices: [price('fsn1', '7.7231', '0.010580'), price('ash', '9.2701', '0.012699', 1)],
    locations: [
      { id: 1, name: 'fsn1', deprecation: null, available: true },
      { id: 4, name: 'ash', deprecation: null, available: true },
      { id: 6, name: 'sin', deprecation: null, available: false },
      { id: 5, name: 'hil', deprecation: { announced: '2026-01-01', unavailable_after: '2026-12-31' } },
    ],
    ...over,
  };
}

describe('costLine', () => {
  it("takes the location's own price, not the first one", () => {
    expect(costLine(type(), 'fsn1')).toBe(
      'cpx22 in fsn1 costs €7.72/month (€0.0106/hour) gross, excl. traffic beyond 20 TB',
    );
    expect(costLine(type(), 'ash')).toBe(
      'cpx22 in ash costs €9.27/month (€0.0127/hour) gross, excl. traffic beyond 1 TB',
    );
  });

  it('says when the type cannot be ordered there, or has no price', () => {
    expect(costLine(type(), 'nbg1')).toBe('cpx22 in nbg1: not sold there, no price');
    expect(costLine(type(), 'hil')).toBe('cpx22 in hil: deprecated there, unavailable for new servers');
    expect(costLine(type({ deprecated: true }), 'fsn1')).toBe(
      'cpx22 in fsn1: deprecated there, unavailable for new servers',
    );
    // Listed but sold out right now: a price exists once it is back; here the API lists none for sin.
    expect(costLine(type(), 'sin')).toBe('cpx22 in sin: the API lists no price for this location');
    const soldOutAsh = type({
      locations: [{ id: 4, name: 'ash', deprecation: null, available: false }],
    });
    expect(costLine(soldOutAsh, 'ash')).toBe(
      'cpx22 in ash costs €9.27/month (€0.0127/hour) gross, excl. traffic beyond 1 TB (sold out there right now)',
    );
    expect(costLine(type({ prices: [price('fsn1', 'n/a', '')] }), 'fsn1')).toBe(
      'cpx22 in fsn1: the API lists no price for this location',
    );
  });

  it('falls back to prices[] for availability on API versions without locations[]', () => {
    const old = type({ locations: undefined as unknown as ServerType['locations'] });
    expect(orderable(old, 'ash')).toBe('yes');
    expect(orderable(old, 'sin')).toBe('not sold');
    expect(orderable(type(), 'sin')).toBe('sold out');
  });
});

describe('PreCreateCheck', () => {
  it('logs the price of the pair it checked, from the API', async () => {
    const logger = captureLogger();
    const d = await configuredDriver(
      mock,
      'cost-ash',
      { 'hetzner-server-type': 'cpx22', 'hetzner-server-location': 'ash' },
      { logger },
    );
    await d.preCreateCheck();
    // The mock's cpx22 is 6.49 net in the EU and 7.79 in ash; gross is ×1.19.
    expect(logger.lines).toContain(
      'info Price: cpx22 in ash costs €9.27/month (€0.0127/hour) gross, excl. traffic beyond 1 TB',
    );
    const eu = captureLogger();
    const e = await configuredDriver(mock, 'cost-fsn1', { 'hetzner-server-type': 'cpx22' }, { logger: eu });
    await e.preCreateCheck();
    expect(eu.lines).toContain(
      'info Price: cpx22 in fsn1 costs €7.72/month (€0.0106/hour) gross, excl. traffic beyond 20 TB',
    );
  });
});
