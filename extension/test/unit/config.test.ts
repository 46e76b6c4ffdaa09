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
    expect(Object.keys(FIELD_TYPES)).toHaveLength(19);
    expect(FIELD_TYPES).not.toHaveProperty('userData');
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
      usePrivateNetwork:       false,
      createFirewall:          false,
      autoCreateFirewallRules: false,
      disablePublicIpv4:       false,
      disablePublicIpv6:       false,
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
    applyFirewallMode(v, 'none', 'my-cluster');
    expect(v).toMatchObject({
      createFirewall: false, firewalls: [], autoCreateFirewallRules: false, firewallName: ''
    });
    expect(firewallModeOf(v)).toBe('none');
  });
});
