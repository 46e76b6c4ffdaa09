import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  applyCreateDefaults,
  applyFirewallMode,
  FIELD_TYPES,
  firewallModeOf,
  type HetznerConfig,
  normalizeConfig,
} from '../../pkg/hetzner-node-driver/lib/config';

describe('config types and defaults', () => {
  it('covers every driver flag with the type Rancher generates', () => {
    expect(FIELD_TYPES).toMatchObject({
      networks:          'string[]',
      firewalls:         'string[]',
      serverLabels:      'string[]',
      sshPort:           'string',
      usePrivateNetwork: 'boolean',
      createFirewall:    'boolean',
    });
    expect(Object.keys(FIELD_TYPES)).toHaveLength(26);
    expect(FIELD_TYPES).not.toHaveProperty('userData');
  });

  it('matches the driver flags one to one, camelCased as Rancher does, with the schema type of each kind', () => {
    // The driver's flag table is the spec; read as text so the extension needs nothing from the driver package.
    const flagsTs = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../../driver/src/driver/flags.ts'), 'utf8');
    const names = Object.fromEntries([...flagsTs.matchAll(/^ {2}(\w+): '(hetzner-[\w-]+)',$/gm)].map((m) => [m[1]!, m[2]!]));
    const kinds = {
      str: 'string', int: 'string', bool: 'boolean', slice: 'string[]'
    } as const;
    const fromDriver: Record<string, string> = {};

    for (const m of flagsTs.matchAll(/\b(str|int|bool|slice)\(\s*FLAG\.(\w+)/g)) {
      const flag = names[m[2]!]!;
      const field = flag.split('-').slice(1).map((p, i) => (i ? p[0]!.toUpperCase() + p.slice(1) : p)).join('');

      fromDriver[field] = kinds[m[1] as keyof typeof kinds];
    }
    // The token lives in the cloud credential, userData belongs to Rancher, and the cluster ID field is the form's.
    delete fromDriver.apiToken;
    delete fromDriver.userData;
    expect(Object.keys(fromDriver).length).toBeGreaterThanOrEqual(26);
    expect({ ...FIELD_TYPES, clusterId: 'string' }).toEqual(fromDriver);
  });

  it('coerces loaded values to the schema types and leaves userData alone', () => {
    const v: HetznerConfig = {
      sshPort:           22 as unknown as string,
      networks:          '1, 2' as unknown as string[],
      firewalls:         null,
      serverLabels:      [5 as unknown as string],
      usePrivateNetwork: 'true' as unknown as boolean,
      userData:          '/tmp/path',
      apiEndpoint:       null as unknown as string,
    };

    normalizeConfig(v);
    expect(v).toEqual({
      sshPort:           '22',
      networks:          ['1', '2'],
      firewalls:         [],
      serverLabels:      ['5'],
      usePrivateNetwork: true,
      userData:          '/tmp/path',
      apiEndpoint:       '',
    });
  });

  it('fills only the driver defaults, never a network, key or firewall', () => {
    const v: HetznerConfig = { serverLocation: 'nbg1' };

    applyCreateDefaults(v);
    expect(v).toEqual({
      serverLocation:          'nbg1',
      serverType:              'cx23',
      image:                   'ubuntu-24.04',
      sshUser:                 'root',
      sshPort:                 '22',
      networks:                [],
      firewalls:               [],
      serverLabels:            [],
      firewallAdminCidrs:      [],
      volumes:                 [],
      usePrivateNetwork:       false,
      createFirewall:          false,
      autoCreateFirewallRules: false,
      disablePublicIpv4:       false,
      disablePublicIpv6:       false,
      firewallCloseNodeports:  false,
      placementGroupSpread:    false,
    });
    expect(v.existingSshKey).toBeUndefined();
    expect(v.placementGroup).toBeUndefined();
  });

  it('derives and applies the firewall mode without leaving the other mode behind', () => {
    const v: HetznerConfig = { firewalls: ['1'] };

    expect(firewallModeOf(v)).toBe('existing');
    applyFirewallMode(v, 'managed', 'my-cluster');
    expect(v).toMatchObject({
      createFirewall: true, firewalls: [], clusterId: 'my-cluster'
    });
    expect(firewallModeOf(v)).toBe('managed');
    v.autoCreateFirewallRules = true;
    v.firewallName = 'fw';
    v.firewallAdminCidrs = ['203.0.113.0/24'];
    v.firewallCloseNodeports = true;
    applyFirewallMode(v, 'none', 'my-cluster');
    expect(v).toMatchObject({
      createFirewall: false, firewalls: [], autoCreateFirewallRules: false, firewallName: '', firewallAdminCidrs: [], firewallCloseNodeports: false
    });
    expect(firewallModeOf(v)).toBe('none');
  });
});
