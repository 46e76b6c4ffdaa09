import { describe, expect, it } from 'vitest';
import { isAddressOrCidr, isIpv6, parseIpv4, parseIpv4Cidr } from '../../pkg/hetzner-node-driver/lib/addresses';
import { findPrimaryIp, freePrimaryIps, freeVolumes } from '../../pkg/hetzner-node-driver/lib/attachments';
import { apiEndpointProblem, isDefaultEndpoint } from '../../pkg/hetzner-node-driver/lib/endpoint';
import {
  fallbacksOf, fallbackTypes, parseChoices, primaryOf, withFallbacks, withPrimary
} from '../../pkg/hetzner-node-driver/lib/fallback';
import {
  formatNetworkEntry, networkRefs, parseNetworkEntry, pinnableSubnets, pinProblem
} from '../../pkg/hetzner-node-driver/lib/networks';
import { ipFamilies, monthlyCost, poolEntry, poolQuantity } from '../../pkg/hetzner-node-driver/lib/pool';
import { hostnameProblem, rdnsSample, renderRdns } from '../../pkg/hetzner-node-driver/lib/rdns';
import { networks, primaryIps, serverTypes, volumes } from '../fixtures/catalog';

const net = (name: string) => networks.find((n) => n.name === name)!;

describe('addresses', () => {
  it('parses IPv4 addresses and subnets strictly', () => {
    expect(parseIpv4('10.0.1.5')).toBe(167772421);
    for (const bad of ['10.0.1', '10.0.1.256', '10.0.01.5', '10.0.1.5.6', '', 'a.b.c.d']) expect(parseIpv4(bad), bad).toBeNull();
    expect(parseIpv4Cidr('10.0.1.0/24')).toEqual({
      base: 167772416, prefix: 24, size: 256
    });
    expect(parseIpv4Cidr('10.0.1.5/24')).toBeNull();
    expect(parseIpv4Cidr('10.0.1.0/33')).toBeNull();
    expect(parseIpv4Cidr('10.0.1.0')).toBeNull();
  });

  it('accepts IPv4 and IPv6 addresses and CIDRs for firewall sources', () => {
    for (const ok of ['203.0.113.0/24', '203.0.113.7', '0.0.0.0/0', '::/0', '2001:db8::/32', '2001:db8::1', '::ffff:192.0.2.1', '1:2:3:4:5:6:7:8/128']) {
      expect(isAddressOrCidr(ok), ok).toBe(true);
    }
    for (const bad of ['203.0.113.0/33', '2001:db8::/129', '2001:db8:::1', '1:2:3:4:5:6:7:8:9', 'example.com', '10.0.0.0/8/1', '10.0.0.0/', '']) {
      expect(isAddressOrCidr(bad), bad).toBe(false);
    }
    expect(isIpv6('fe80::1:2')).toBe(true);
    expect(isIpv6('12345::')).toBe(false);
  });
});

describe('network entries', () => {
  it('round-trips the three entry forms exactly as the driver reads them', () => {
    expect(parseNetworkEntry('4000000401')).toEqual({ ref: '4000000401', pin: { kind: 'none' } });
    expect(parseNetworkEntry('4000000401:10.0.1.0/24')).toEqual({ ref: '4000000401', pin: { kind: 'range', range: '10.0.1.0/24' } });
    expect(parseNetworkEntry('k8s-eu:10.0.1.10')).toEqual({ ref: 'k8s-eu', pin: { kind: 'ip', ip: '10.0.1.10' } });
    expect(parseNetworkEntry('4000000401:')).toEqual({ ref: '4000000401', pin: { kind: 'ip', ip: '' } });
    for (const e of ['4000000401', '4000000401:10.0.1.0/24', '4000000401:10.0.1.10']) expect(formatNetworkEntry(parseNetworkEntry(e))).toBe(e);
    expect(networkRefs(['1:10.0.1.0/24', '2', '3:10.2.1.9'])).toEqual(['1', '2', '3']);
  });

  it('offers only the subnets of the location zone', () => {
    expect(pinnableSubnets(net('shared'), 'us-east').map((s) => s.ip_range)).toEqual(['10.2.2.0/24']);
    expect(pinnableSubnets(net('shared'), 'eu-central').map((s) => s.ip_range)).toEqual(['10.2.1.0/24']);
  });

  it('checks a fixed IP against the network range, its zone subnets and the reserved addresses', () => {
    const k8s = net('k8s-eu');
    const p = (ip: string, zone = 'eu-central') => pinProblem(k8s, { kind: 'ip', ip }, zone)?.key;

    expect(p('10.0.1.10')).toBeUndefined();
    expect(p('')).toBe('networkIpMissing');
    expect(p('10.0.1.300')).toBe('networkIpInvalid');
    expect(p('10.9.0.1')).toBe('networkIpOutside');
    expect(p('10.0.2.5')).toBe('networkIpNoSubnet');
    expect(p('10.0.1.1')).toBe('networkIpReserved');
    expect(p('10.0.1.255')).toBe('networkIpReserved');
    expect(pinProblem(net('shared'), { kind: 'ip', ip: '10.2.2.5' }, 'eu-central')?.key).toBe('networkIpNoSubnet');
    expect(pinProblem(k8s, { kind: 'ip', ip: '10.9.0.1' }, 'eu-central')?.args).toMatchObject({
      network: 'k8s-eu', range: '10.0.0.0/16', value: '10.9.0.1'
    });
  });

  it('checks a subnet pin', () => {
    const k8s = net('k8s-eu');
    const p = (range: string) => pinProblem(k8s, { kind: 'range', range }, 'eu-central')?.key;

    expect(p('10.0.1.0/24')).toBeUndefined();
    expect(p('10.0.1.0/25')).toBeUndefined();
    expect(p('10.0.1.5/24')).toBe('networkRangeInvalid');
    expect(p('10.5.0.0/24')).toBe('networkRangeOutside');
    expect(p('10.0.2.0/24')).toBe('networkRangeNoSubnet');
  });
});

describe('reverse DNS template', () => {
  const sample = rdnsSample('prod-eu', 'workers');

  it('renders the placeholders with a Rancher-shaped machine name, lower-cased', () => {
    expect(sample).toEqual({
      cluster: 'prod-eu', pool: 'workers', machine: 'prod-eu-workers-7f9c4b8d5-x2k4q'
    });
    expect(renderRdns('{{ machine }}.k8s.example.com', sample)).toEqual({ name: 'prod-eu-workers-7f9c4b8d5-x2k4q.k8s.example.com' });
    expect(renderRdns('{{pool}}-{{ machine }}.{{ cluster }}.Example.org', sample)).toEqual({ name: 'workers-prod-eu-workers-7f9c4b8d5-x2k4q.prod-eu.Example.org' });
    expect(rdnsSample('', '').machine).toBe('cluster-pool1-7f9c4b8d5-x2k4q');
  });

  it('names what is wrong', () => {
    const key = (t: string, s = sample) => ('problem' in renderRdns(t, s) ? (renderRdns(t, s) as { problem: { key: string } }).problem.key : 'ok');

    expect(key('{{ host }}.example.com')).toBe('rdns.unknownPlaceholder');
    expect(key('{{ cluster }}.example.com', rdnsSample('', 'p'))).toBe('rdns.noCluster');
    expect(key('{{ machine }.example.com')).toBe('rdns.brace');
    expect(key('{{ machine }}')).toBe('rdns.notFqdn');
    expect(key('{{ machine }}..example.com')).toBe('rdns.emptyLabel');
    expect(key('{{ machine }}_x.example.com')).toBe('rdns.labelChars');
    expect(key('-{{ machine }}.example.com')).toBe('rdns.labelChars');
    expect(key('{{ machine }}.example.123')).toBe('rdns.numericTld');
    expect(key(`${ 'a'.repeat(64) }.example.com`)).toBe('rdns.labelLength');
    expect(key(`${ Array.from({ length: 5 }, () => 'a'.repeat(60)).join('.') }.com`)).toBe('rdns.tooLong');
    expect(key('node.example.com.')).toBe('ok');
    // A long cluster and pool push the machine label over 63 characters: caught before any server exists.
    expect(key('{{ machine }}.example.com', rdnsSample('c'.repeat(30), 'p'.repeat(20)))).toBe('rdns.labelLength');
    expect(hostnameProblem('')?.key).toBe('rdns.empty');
  });
});

describe('fallback lists', () => {
  it('keeps the primary first and the fallbacks in order, without repeats', () => {
    expect(parseChoices(' fsn1, nbg1,,fsn1 ')).toEqual(['fsn1', 'nbg1']);
    expect(primaryOf('fsn1,nbg1')).toBe('fsn1');
    expect(fallbacksOf('fsn1,nbg1,hel1')).toEqual(['nbg1', 'hel1']);
    expect(fallbacksOf('fsn1')).toEqual([]);
    expect(withPrimary('fsn1,nbg1,hel1', 'nbg1')).toBe('nbg1,hel1');
    expect(withPrimary('fsn1', 'hel1')).toBe('hel1');
    expect(withFallbacks('fsn1,nbg1', ['hel1', 'nbg1'])).toBe('fsn1,hel1,nbg1');
    expect(withFallbacks('fsn1,nbg1', [])).toBe('fsn1');
    expect(withFallbacks('cx23', ['cx23', 'cpx22'])).toBe('cx23,cpx22');
  });

  it('offers fallback types of the primary architecture sold in one of the chosen locations', () => {
    const names = (locations: string[], arch: 'x86' | 'arm', primary: string) => fallbackTypes(serverTypes, locations, arch, primary).map((t) => t.name);

    expect(names(['fsn1'], 'x86', 'cx23')).toEqual(['ccx13', 'cpx22']);
    expect(names(['nbg1'], 'x86', 'cx23')).toEqual(['cpx11']);
    expect(names(['nbg1', 'fsn1'], 'x86', 'cx23')).toEqual(['cpx11', 'ccx13', 'cpx22']);
    expect(names(['fsn1'], 'arm', 'cax11')).toEqual([]);
    // Deprecated (cpx22 in ash) and sold-out (cpx22 in hil) are not offered.
    expect(names(['ash', 'hil'], 'x86', 'ccx13')).toEqual([]);
  });
});

describe('primary IPs and volumes', () => {
  it('offers only unassigned addresses of the family in the location, in either API shape', () => {
    expect(freePrimaryIps(primaryIps, 'ipv4', 'fsn1').map((p) => p.name)).toEqual(['edge-v4', 'legacy-v4']);
    expect(freePrimaryIps(primaryIps, 'ipv6', 'fsn1').map((p) => p.name)).toEqual(['edge-v6']);
    expect(freePrimaryIps(primaryIps, 'ipv4', 'nbg1').map((p) => p.name)).toEqual(['nbg-v4']);
    expect(findPrimaryIp(primaryIps, '198.51.100.10')?.name).toBe('edge-v4');
    expect(findPrimaryIp(primaryIps, 'edge-v6')?.id).toBe(4000000703);
  });

  it('offers only detached volumes in the location', () => {
    expect(freeVolumes(volumes, 'fsn1').map((v) => v.name)).toEqual(['data-fsn']);
    expect(freeVolumes(volumes, 'nbg1').map((v) => v.name)).toEqual(['logs-nbg']);
  });
});

describe('pool: quantity, cost and IP families', () => {
  const pools = [{ id: 'pool1', pool: { name: 'cp', quantity: 1 } }, { id: 'pool2', pool: { name: 'workers', quantity: 3 } }];

  it('finds the pool by ID, else by index, and reads its quantity', () => {
    expect(poolEntry(pools, 0, 'pool2')?.pool?.name).toBe('workers');
    expect(poolEntry(pools, 1, '')?.pool?.name).toBe('workers');
    expect(poolQuantity(poolEntry(pools, 1, ''))).toBe(3);
    expect(poolQuantity(poolEntry([], 0, ''))).toBeUndefined();
    expect(poolQuantity({ pool: { quantity: '' } })).toBeUndefined();
    expect(poolQuantity({ pool: { quantity: '2' } })).toBe(2);
  });

  it('prices the pool at the gross monthly price of the location', () => {
    const cx23 = serverTypes.find((t) => t.name === 'cx23')!;

    // 3.79 net × 1.19 = 4.5101 gross → €4.51 each.
    expect(monthlyCost(cx23, 'fsn1', 3)).toEqual({
      each: '€4.51', quantity: 3, total: '€13.53'
    });
    expect(monthlyCost(cx23, 'fsn1')).toEqual({ each: '€4.51' });
    expect(monthlyCost(cx23, 'ash', 3)).toBeUndefined();
    expect(monthlyCost(undefined, 'fsn1', 3)).toBeUndefined();
  });

  it('gives no price where the type cannot be ordered (the form says why), and prices each location on its own', () => {
    const cpx22 = serverTypes.find((t) => t.name === 'cpx22')!;

    // Listed with a price in ash, but deprecated there: no cost line.
    expect(cpx22.prices.some((p) => p.location === 'ash')).toBe(true);
    expect(monthlyCost(cpx22, 'ash', 2)).toBeUndefined();
    expect(monthlyCost(cpx22, 'fsn1', 2)?.each).toMatch(/^€\d+\.\d\d$/);
  });

  it('derives the cluster\'s IP families on the pool, not the addresses a server has', () => {
    const cidr = (c: string) => ({ spec: { rkeConfig: { machineGlobalConfig: { 'cluster-cidr': c } } } });
    const none = {
      isDualStack: false, isIpv6: false, hasIpv6: false
    };
    const v6only = {
      isDualStack: false, isIpv6: true, hasIpv6: true
    };
    const dual = {
      isDualStack: true, isIpv6: false, hasIpv6: true
    };

    // Every Hetzner server has both public families by default; the cluster still runs IPv4 single-stack.
    expect(ipFamilies({})).toEqual(none);
    expect(ipFamilies({}, cidr('10.42.0.0/16'))).toEqual(none);
    expect(ipFamilies({}, cidr('10.42.0.0/16, fd00:42::/56'))).toEqual(dual);
    expect(ipFamilies({ disablePublicIpv6: true }, cidr('10.42.0.0/16,fd00:42::/56'))).toEqual(none);
    expect(ipFamilies({ disablePublicIpv4: true })).toEqual(v6only);
    expect(ipFamilies({ disablePublicIpv4: true }, cidr('fd00:42::/56'))).toEqual(v6only);
    expect(ipFamilies({
      disablePublicIpv4: true, usePrivateNetwork: true, networks: ['1']
    })).toEqual(none);
    expect(ipFamilies({ disablePublicIpv6: true })).toEqual(none);
    expect(ipFamilies({ disablePublicIpv4: true, disablePublicIpv6: true })).toEqual(none);
  });
});

describe('credential API endpoint', () => {
  it('accepts https, or http to a literal loopback address, and nothing with credentials, a query or a fragment', () => {
    for (const ok of ['', '  ', 'https://api.hetzner.cloud/v1', 'https://10.0.0.5:8443/hcloud', 'http://127.0.0.1:4000/v1', 'http://127.8.9.10/v1', 'http://[::1]:4000/v1']) {
      expect(apiEndpointProblem(ok), ok).toBeUndefined();
    }
    for (const insecure of ['http://api.hetzner.cloud/v1', 'http://localhost:4000/v1', 'http://10.0.0.1/v1', 'http://[::2]/v1', 'http://128.0.0.1/v1']) {
      expect(apiEndpointProblem(insecure), insecure).toBe('insecure');
    }
    for (const bad of ['api.hetzner.cloud', 'ftp://api.hetzner.cloud', 'https://u:p@api.hetzner.cloud/v1', 'https://api.hetzner.cloud/v1?x=1', 'https://api.hetzner.cloud/v1#a', 'file:///etc/passwd']) {
      expect(apiEndpointProblem(bad), bad).toBe('invalid');
    }
  });

  it('knows the Hetzner API, the only host Rancher\'s proxy reaches for the credential test', () => {
    for (const yes of ['', 'https://api.hetzner.cloud/v1', 'https://api.hetzner.cloud/v1/', ' https://API.hetzner.cloud/v1 ']) expect(isDefaultEndpoint(yes), yes).toBe(true);
    for (const no of ['https://api.hetzner.cloud:8443/v1', 'https://api.hetzner.cloud/v2', 'http://127.0.0.1:4000/v1', 'https://api.hetzner.cloud.example.com/v1']) {
      expect(isDefaultEndpoint(no), no).toBe(false);
    }
  });
});
