import { describe, expect, it } from 'vitest';
import {
  applyCreateDefaults,
  applyFirewallMode,
  DRIVER_DEFAULTS,
  FIELD_TYPES,
  firewallModeOf,
  type HetznerConfig,
  normalizeConfig,
} from '../../pkg/hetzner-node-driver/lib/config';
import { DRIVER_FIELDS } from '../../pkg/hetzner-node-driver/lib/driver-flags';

// The generated ./driver-flags module is checked against the driver's flag table by scripts/test/flag-table.test.ts;
// these tests check what lib/config.ts derives from it.
describe('config types and defaults', () => {
  it('types every machine-pool field as the Rancher schema does', () => {
    expect(FIELD_TYPES).toMatchObject({
      networks:          'string[]',
      firewalls:         'string[]',
      serverLabels:      'string[]',
      sshPort:           'string',
      usePrivateNetwork: 'boolean',
      createFirewall:    'boolean',
      serverLocation:    'string',
    });
    expect(Object.keys(FIELD_TYPES)).toEqual(Object.keys(DRIVER_FIELDS));
    // The token lives in the cloud credential and userData belongs to Rancher: neither is a form field.
    expect(FIELD_TYPES).not.toHaveProperty('userData');
    expect(FIELD_TYPES).not.toHaveProperty('apiToken');
  });

  it('pre-selects the driver defaults, but not the API endpoint (the credential decides it)', () => {
    expect(DRIVER_DEFAULTS).toEqual({
      serverType:     'cx23',
      serverLocation: 'fsn1',
      image:          'ubuntu-24.04',
      sshUser:        'root',
      sshPort:        '22',
    });
    expect(DRIVER_FIELDS.apiEndpoint).toHaveProperty('default');
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
