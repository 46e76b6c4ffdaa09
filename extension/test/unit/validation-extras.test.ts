// Validation of the networking extras (issue 10) and the capacity / placement / attachment flags (issue 9).
import { describe, expect, it } from 'vitest';
import type { HetznerConfig } from '../../pkg/hetzner-node-driver/lib/config';
import { type CatalogContext, validateMachineConfig } from '../../pkg/hetzner-node-driver/lib/validation';
import { catalog } from '../fixtures/catalog';
import { t } from './i18n';

const data = catalog();
const ctx: CatalogContext = {
  locations:   data.locations,
  serverTypes: data.server_types,
  images:      data.images,
  networks:    data.networks,
  primaryIps:  data.primary_ips,
  volumes:     data.volumes,
};
const base = (extra: HetznerConfig = {}): HetznerConfig => ({
  serverLocation: 'fsn1', serverType: 'cx23', image: 'ubuntu-24.04', sshPort: '22', ...extra
});
const PH = {
  phMachine: '{{ machine }}', phCluster: '{{ cluster }}', phPool: '{{ pool }}'
};
const run = (v: HetznerConfig, c: CatalogContext = ctx) => validateMachineConfig(v, c);
const errors = (v: HetznerConfig, c?: CatalogContext) => run(v, c).errors.map((e) => t(`hetzner.machineConfig.validation.${ e.key }`, { ...PH, ...e.args }, true));
const warnings = (v: HetznerConfig, c?: CatalogContext) => run(v, c).warnings.map((e) => t(`hetzner.machineConfig.validation.${ e.key }`, { ...PH, ...e.args }, true));

describe('validation: networks with subnet or fixed IP', () => {
  it('accepts plain, subnet and fixed-IP entries that fit the network and zone', () => {
    expect(run(base({ networks: ['4000000401:10.0.1.0/24', '4000000403:10.2.1.20'] }))).toEqual({ errors: [], warnings: [] });
  });

  it('reports a fixed IP outside the network, and a subnet of another zone', () => {
    expect(errors(base({ networks: ['4000000401:10.9.0.1'] }))).toEqual(['10.9.0.1 is outside network k8s-eu (10.0.0.0/16); pick an IP inside it.']);
    expect(errors(base({ networks: ['4000000403:10.2.2.0/24'] }))).toEqual(['Network shared has no subnet 10.2.2.0/24 in network zone eu-central.']);
    expect(errors(base({ networks: ['4000000401:'] }))).toEqual(['Enter the fixed IP for network k8s-eu, or choose a subnet.']);
    expect(errors(base({ networks: ['4000000401', '4000000401:10.0.1.9'] }))).toEqual(['Each network can be listed only once.']);
  });

  it('warns when a fixed IP meets a pool of more than one machine', () => {
    const v = base({ networks: ['4000000401:10.0.1.10'] });

    expect(warnings(v, { ...ctx, poolQuantity: 1 })).toEqual([]);
    expect(warnings(v, { ...ctx, poolQuantity: 3 })).toEqual([
      'A fixed IP in k8s-eu works for one machine only, but this pool has 3: the others will fail to create. Use a subnet instead.',
    ]);
    // No warning for a subnet pin, which suits any pool size.
    expect(warnings(base({ networks: ['4000000401:10.0.1.0/24'] }), { ...ctx, poolQuantity: 3 })).toEqual([]);
  });
});

describe('validation: reverse DNS, admin CIDRs, NodePorts', () => {
  it('checks the rendered reverse DNS name, with the pool name the host gives', () => {
    expect(errors(base({ rdnsTemplate: '{{ machine }}.k8s.example.com' }))).toEqual([]);
    expect(errors(base({ rdnsTemplate: '{{ machine }}' }))).toEqual([
      'The reverse DNS name cluster-pool1-7f9c4b8d5-x2k4q is not fully qualified; add the domain, e.g. {{ machine }}.k8s.example.com.',
    ]);
    expect(errors(base({ rdnsTemplate: '{{ host }}.example.com' }))).toEqual([
      'The reverse DNS template uses unknown placeholders {{ host }}; use {{ machine }}, {{ cluster }} or {{ pool }}.',
    ]);
    expect(errors(base({ rdnsTemplate: '{{ cluster }}.example.com' }))).toEqual(['The reverse DNS template uses {{ cluster }}, but no cluster ID is set.']);
    expect(errors(base({ rdnsTemplate: '{{ pool }}_x.example.com' }), { ...ctx, poolName: 'web' })).toEqual([
      'The reverse DNS name web_x.example.com has the label web_x; labels use letters, digits and inner hyphens only.',
    ]);
    expect(warnings(base({
      rdnsTemplate: 'n.example.com', disablePublicIpv4: true, disablePublicIpv6: true, usePrivateNetwork: true, networks: ['4000000401']
    }))).toEqual(['Without public IPv4 and IPv6 there is no address to set reverse DNS for.']);
  });

  it('validates admin CIDRs of both families and warns when the driver writes no rules', () => {
    const managed = {
      createFirewall: true, clusterId: 'c', autoCreateFirewallRules: true
    };

    expect(run(base({ ...managed, firewallAdminCidrs: ['203.0.113.0/24', '2001:db8::/32', '198.51.100.7'] }))).toEqual({ errors: [], warnings: [] });
    expect(errors(base({ ...managed, firewallAdminCidrs: ['203.0.113.0/24', 'office'] }))).toEqual([
      'Admin source office is not an IPv4 or IPv6 address or CIDR (e.g. 203.0.113.0/24).',
    ]);
    expect(warnings(base({
      ...managed, autoCreateFirewallRules: false, firewallCloseNodeports: true
    }))).toEqual([
      'Admin source CIDRs and closed NodePorts shape only the rules the driver writes; enable automatic firewall rules.',
    ]);
  });
});

describe('validation: fallbacks, spread placement, primary IPs and volumes', () => {
  it('accepts ordered fallback lists and checks each entry', () => {
    expect(run(base({ serverLocation: 'fsn1,nbg1', serverType: 'cx23,cpx22' }))).toEqual({ errors: [], warnings: [] });
    expect(errors(base({ serverLocation: 'fsn1,mars1', serverType: 'cx23,cax11,cx99' }))).toEqual([
      'Fallback location mars1 does not exist in Hetzner Cloud.',
      'Fallback server type cax11 is arm, but cx23 is x86; the image would not fit. Choose a type of the same architecture.',
      'Fallback server type cx99 does not exist.',
    ]);
    expect(errors(base({ serverLocation: 'nbg1', serverType: 'cx23,ccx13' }))).toEqual([
      'Fallback server type ccx13 is not sold in any chosen location (nbg1).',
    ]);
  });

  it('shows spread placement and a placement group as a conflict, and spread needs a cluster ID', () => {
    expect(errors(base({
      placementGroupSpread: true, placementGroup: '4000000601', clusterId: 'c'
    }))).toEqual([
      'Choose either a placement group or automatic spread placement, not both.',
    ]);
    expect(errors(base({ placementGroupSpread: true }))).toEqual([
      "Automatic spread placement needs a cluster ID, so the pool's machines find the same groups.",
    ]);
    expect(errors(base({ placementGroupSpread: true, clusterId: 'c' }))).toEqual([]);
  });

  it('checks primary IPs and volumes: family, free, same location, public IP enabled', () => {
    expect(run(base({
      primaryIpv4: '4000000701', primaryIpv6: '4000000703', volumes: ['4000000801']
    }))).toEqual({ errors: [], warnings: [] });
    expect(errors(base({ primaryIpv4: '4000000702' }))).toEqual(['Primary IP taken-v4 (198.51.100.11) is assigned to a server; unassign it or choose another.']);
    expect(errors(base({ primaryIpv4: '4000000703' }))).toEqual(['Primary IP edge-v6 (2001:db8:10::/64) is of the other IP family.']);
    expect(errors(base({ primaryIpv4: 'nbg-v4' }))).toEqual(['Primary IP nbg-v4 (198.51.100.20) is in nbg1, but the server is created in fsn1.']);
    expect(errors(base({ primaryIpv4: '4000000701', disablePublicIpv4: true }))).toEqual(['A primary IPv4 was chosen, but public IPv4 is disabled.']);
    expect(errors(base({ volumes: ['4000000802', 'logs-nbg', 'nope'] }))).toEqual([
      'Volume in-use is attached to a server; detach it or choose another.',
      'Volume logs-nbg is in nbg1, but the server is created in fsn1.',
      'Volume nope does not exist in this project.',
    ]);
    // In a pool that exists already its own machine holds them: a warning, so later edits of the cluster can be saved.
    const inUse = base({ primaryIpv4: '4000000702', volumes: ['4000000802'] });

    expect(errors(inUse, { ...ctx, existingPool: true })).toEqual([]);
    expect(warnings(inUse, { ...ctx, existingPool: true })).toEqual([
      "Primary IP taken-v4 (198.51.100.11) is in use (perhaps by this pool's machine); a further machine of this pool cannot get it.",
      "Volume in-use is attached (perhaps to this pool's machine); a further machine of this pool cannot attach it.",
    ]);
    expect(warnings(base({ serverLocation: 'fsn1,nbg1', volumes: ['4000000801'] }))).toEqual([
      'Primary IPs and volumes exist in fsn1 only, so fallback locations will be skipped.',
    ]);
  });
});
