import { describe, expect, it } from 'vitest';
import type { HetznerConfig } from '../../pkg/hetzner-node-driver/lib/config';
import { additionalUserDataProblem, validateMachineConfig } from '../../pkg/hetzner-node-driver/lib/validation';
import { catalog } from '../fixtures/catalog';
import { t } from './i18n';

const data = catalog();
const ctx = {
  locations:   data.locations,
  serverTypes: data.server_types,
  images:      data.images,
  networks:    data.networks,
};
const base = (): HetznerConfig => ({
  serverLocation:          'fsn1',
  serverType:              'cx23',
  image:                   'ubuntu-24.04',
  networks:                [],
  firewalls:               [],
  usePrivateNetwork:       false,
  disablePublicIpv4:       false,
  disablePublicIpv6:       false,
  createFirewall:          false,
  autoCreateFirewallRules: false,
  serverLabels:            [],
  sshPort:                 '22',
});
const keys = (c: HetznerConfig) => validateMachineConfig(c, ctx).errors.map((e) => e.key);
const warnings = (c: HetznerConfig) => validateMachineConfig(c, ctx).warnings.map((e) => e.key);
const text = (c: HetznerConfig) => validateMachineConfig(c, ctx).errors.map((e) => t(`hetzner.machineConfig.validation.${ e.key }`, e.args, true));

describe('machine config validation', () => {
  it('accepts the driver defaults', () => {
    expect(validateMachineConfig(base(), ctx)).toEqual({ errors: [], warnings: [] });
  });

  it('requires location, type and image', () => {
    expect(keys({
      ...base(), serverLocation: '', serverType: '', image: ''
    })).toEqual([
      'locationRequired',
      'typeRequired',
      'imageRequired',
    ]);
  });

  it('rejects types not sold, deprecated or sold out in the location, with the names in the message', () => {
    expect(text({
      ...base(), serverLocation: 'ash', image: 'ubuntu-24.04'
    })).toContain(
      'Server type cx23 is not sold in ash; choose another type or location.',
    );
    expect(keys({
      ...base(), serverLocation: 'ash', serverType: 'cpx22'
    })).toEqual(['type.deprecated']);
    expect(keys({
      ...base(), serverLocation: 'hil', serverType: 'cpx22'
    })).toEqual(['type.unavailable']);
    expect(keys({ ...base(), serverType: 'nope' })).toEqual(['type.unknown']);
    expect(keys({ ...base(), serverLocation: 'mars' })).toEqual(['locationUnknown', 'type.notSold']);
  });

  it('rejects an image that does not exist for the type architecture', () => {
    expect(keys({ ...base(), image: 'rocky-9' })).toEqual([]);
    expect(keys({
      ...base(), serverType: 'cax11', image: 'rocky-9'
    })).toEqual(['imageArch']);
    expect(keys({
      ...base(), serverType: 'cax11', image: '4000000301'
    })).toEqual(['imageArch']);
    expect(keys({
      ...base(), serverType: 'cax11', image: '4000000302'
    })).toEqual([]);
  });

  it('requires a private network when both public IPs are disabled', () => {
    const c = {
      ...base(), disablePublicIpv4: true, disablePublicIpv6: true
    };

    expect(text(c)).toEqual([
      'With both public IPv4 and IPv6 disabled, nodes are reachable only over a private network; select a network and enable the private network option.',
    ]);
    expect(keys({ ...c, networks: ['4000000401'] })).toEqual(['noPublicNeedsPrivate']);
    expect(keys({ ...c, usePrivateNetwork: true })).toEqual(['privateNeedsNetwork', 'noPublicNeedsPrivate']);
    expect(keys({
      ...c, usePrivateNetwork: true, networks: ['4000000401']
    })).toEqual([]);
  });

  it('requires networks reachable from the location zone', () => {
    expect(keys({ ...base(), networks: ['4000000402'] })).toEqual(['networkZone']);
    expect(keys({ ...base(), networks: ['shared', '4000000401'] })).toEqual([]);
    expect(text({ ...base(), networks: ['4000000499'] })).toEqual(['Network 4000000499 does not exist in this project.']);
  });

  it('enforces the firewall rules of the design', () => {
    expect(keys({
      ...base(), createFirewall: true, firewalls: ['4000000501'], clusterId: 'c1'
    })).toEqual([
      'firewallExclusive',
    ]);
    expect(keys({
      ...base(), createFirewall: true, clusterId: ' '
    })).toEqual(['clusterIdRequired']);
    expect(keys({
      ...base(), createFirewall: true, clusterId: 'c1', autoCreateFirewallRules: true
    })).toEqual([]);
    expect(keys({ ...base(), autoCreateFirewallRules: true })).toEqual([]);
    expect(warnings({ ...base(), autoCreateFirewallRules: true })).toEqual(['autoRulesNeedManaged']);
    expect(
      keys({
        ...base(), createFirewall: true, clusterId: 'c1', autoCreateFirewallRules: true, disablePublicIpv4: true
      }),
    ).toEqual(['autoRulesNeedIpv4']);
    expect(keys({
      ...base(), createFirewall: true, clusterId: 'c', firewallName: 'x'.repeat(129)
    })).toEqual([
      'firewallNameLength',
    ]);
  });

  it('warns for a managed firewall without IPv4 and for IPv6-only nodes', () => {
    expect(warnings({
      ...base(), createFirewall: true, clusterId: 'c1', disablePublicIpv4: true
    })).toEqual([
      'firewallWithoutIpv4',
      'ipv6Only',
    ]);
    expect(warnings({ ...base(), disablePublicIpv6: true })).toEqual([]);
    // With a private network the node keeps IPv4 inside the cluster.
    expect(warnings({
      ...base(), disablePublicIpv4: true, usePrivateNetwork: true, networks: ['4000000401']
    })).toEqual([]);
    expect(
      warnings({
        ...base(),
        disablePublicIpv4: true,
        disablePublicIpv6: true,
        usePrivateNetwork: true,
        networks:          ['4000000401'],
        firewalls:         ['4000000501'],
      }),
    ).toEqual(['firewallNoPublic']);
  });

  it('checks labels, ssh port, API endpoint and the extra cloud-config', () => {
    expect(text({ ...base(), serverLabels: ['ok=1', 'hetzner.cloud/x=1', 'ok=2'] })).toEqual([
      'Label 2: the hetzner.cloud/ prefix is reserved for Hetzner.',
      'Label 3: the key is used twice.',
    ]);
    for (const p of ['0', '65536', '22a', '-1']) expect(keys({ ...base(), sshPort: p }), p).toEqual(['sshPort']);
    expect(keys({ ...base(), sshPort: '2222' })).toEqual([]);
    // The endpoint belongs to the credential; a value left in a pool's config is not checked (or used) here.
    expect(keys({ ...base(), apiEndpoint: 'ftp://x' })).toEqual([]);
    expect(keys({ ...base(), additionalUserData: '#cloud-config\npackages: [htop]\nruncmd:\n  - echo hi\n' })).toEqual([]);
    expect(keys({ ...base(), additionalUserData: '#cloud-config\n- a\n- b\n' })).toEqual(['userDataMapping']);
    expect(keys({ ...base(), additionalUserData: '#cloud-config\na: [\n' })).toEqual(['userDataYaml']);
    expect(keys({ ...base(), additionalUserData: 'packages: [htop]\n' })).toEqual(['userDataHeader']);
    expect(additionalUserDataProblem('#cloud-config\n')).toBeUndefined();
    expect(additionalUserDataProblem('#!/bin/sh\necho [unbalanced\n')).toBeUndefined();
    expect(additionalUserDataProblem('  \n')).toBeUndefined();
  });

  it('skips catalogue checks for lists that did not load', () => {
    expect(validateMachineConfig({
      ...base(), serverType: 'whatever', networks: ['x']
    }, {}).errors).toEqual([]);
  });
});
