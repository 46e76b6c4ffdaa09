// The flags of spread placement, capacity fallback and existing primary IPs/volumes: kinds, env vars, defaults that
// keep today's behaviour, Rancher's camelCase round trip, and their way into and back out of the stored config.
import { describe, expect, it } from 'vitest';
import { createFlags, FLAG } from '../../src/driver';
import { parseConfig } from '../../src/driver/config';
import { fromRancherField, readFlags, toRancherField } from '../../src/driver/flags';
import type { FlagValue } from '../../src/driver/interface';
import { newDriver } from './helpers';

const OURS = {
  [FLAG.placementGroupSpread]: { kind: 'bool', field: 'placementGroupSpread', env: 'HETZNER_PLACEMENT_GROUP_SPREAD' },
  [FLAG.primaryIpv4]: { kind: 'string', field: 'primaryIpv4', env: 'HETZNER_PRIMARY_IPV4' },
  [FLAG.primaryIpv6]: { kind: 'string', field: 'primaryIpv6', env: 'HETZNER_PRIMARY_IPV6' },
  [FLAG.volumes]: { kind: 'stringSlice', field: 'volumes', env: 'HETZNER_VOLUMES' },
} as const;

describe('flags for spread, fallback, primary IPs and volumes', () => {
  const flags = createFlags();

  it('have the right kinds, env vars and camelCase fields, and come after the user-data flag', () => {
    const names = flags.map((f) => f.name);
    const userData = names.findIndex((n) => /user-?data|custom-data|cloud-config/.test(n));
    expect(names[userData]).toBe('hetzner-user-data');
    for (const [name, want] of Object.entries(OURS)) {
      const f = flags.find((x) => x.name === name)!;
      expect(f).toMatchObject({ kind: want.kind, envVar: want.env });
      expect(names.indexOf(name)).toBeGreaterThan(userData);
      expect(toRancherField(name)).toBe(want.field);
      expect(fromRancherField('hetzner', want.field)).toBe(name);
    }
    // Type and location stay string flags (Rancher's schema is a string) with one-value defaults.
    expect(flags.find((f) => f.name === FLAG.serverType)).toMatchObject({ kind: 'string', value: 'cx23' });
    expect(flags.find((f) => f.name === FLAG.location)).toMatchObject({ kind: 'string', value: 'fsn1' });
  });

  it('default to today’s behaviour and parse lists', () => {
    const none = readFlags(new Map<string, FlagValue>());
    expect(none).toMatchObject({ placementGroupSpread: false, primaryIpv4: '', primaryIpv6: '', volumes: [] });
    const set = readFlags(
      new Map<string, FlagValue>([
        [FLAG.placementGroupSpread, 'true'],
        [FLAG.volumes, ['a,b', ' 7 ']],
        [FLAG.serverType, 'cx23, cpx22'],
      ]),
    );
    expect(set).toMatchObject({ placementGroupSpread: true, volumes: ['a', 'b', '7'], serverType: 'cx23, cpx22' });
  });

  it('persist in the Go driver keys and survive a later process that only gets SetConfigRaw', async () => {
    const d = newDriver();
    await d.setConfigRaw(new TextEncoder().encode(JSON.stringify({ MachineName: 'm1', StorePath: '/tmp/x' })));
    await d.setConfigFromFlags(
      new Map<string, FlagValue>([
        [FLAG.apiToken, 'tok'],
        [FLAG.placementGroupSpread, true],
        [FLAG.primaryIpv4, '198.51.100.4'],
        [FLAG.primaryIpv6, 'v6-name'],
        [FLAG.volumes, ['data', '42']],
      ]),
    );
    const raw = await d.getConfigRaw();
    const stored = parseConfig(raw);
    expect(stored).toMatchObject({
      PlacementGroupSpread: true,
      PrimaryIPv4: '198.51.100.4',
      PrimaryIPv6: 'v6-name',
      Volumes: ['data', '42'],
      AutoPlacementGroupID: 0,
    });
    // A Go-driver config with null slices still parses.
    expect(parseConfig('{"Volumes":null,"PrimaryIPv4":""}')).toMatchObject({ Volumes: [], PrimaryIPv4: '' });
  });
});
