// The pure parts of the networking extras: entry parsing, the pool rule, template rendering and host name checks,
// and the three flags' shape (names that survive Rancher's camelCase, env vars, config round trip).
import { describe, expect, it } from 'vitest';
import { emptyConfig, parseConfig, serializeConfig } from '../../src/driver/config';
import { createFlags, FLAG, fromRancherField, readFlags, toRancherField } from '../../src/driver/flags';
import type { FlagValue } from '../../src/driver/interface';
import { createNetworkIds, parseNetworkEntries } from '../../src/driver/networks';
import {
  hostnameProblem,
  poolFromMachineName,
  poolName,
  rdnsHostname,
  rdnsTargets,
  renderRdnsTemplate,
} from '../../src/driver/rdns';
import type { Server } from '../../src/hcloud';

describe('parseNetworkEntries', () => {
  it('splits refs from ranges and IPs, canonicalising them', () => {
    const { entries, problems } = parseNetworkEntries([
      'private',
      '42:10.0.1.0/24',
      'k8s-net: 10.0.1.7',
      'a:b:10.0.2.0/24',
    ]);
    expect(problems).toEqual([]);
    expect(entries).toEqual([
      { ref: 'private' },
      { ref: '42', ipRange: '10.0.1.0/24' },
      { ref: 'k8s-net', ip: '10.0.1.7' },
      { ref: 'a:b', ipRange: '10.0.2.0/24' },
    ]);
  });

  it('keeps the ref of a bad entry (so it is still looked up) and says what is wrong', () => {
    const { entries, problems } = parseNetworkEntries([
      'net:10.0.0.0/8x',
      'net2:10.0.300.1',
      'net3:',
      'net4:010.0.1.7',
      'net5:10.0.01.0/24',
    ]);
    expect(entries.map((e) => e.ref)).toEqual(['net', 'net2', 'net3', 'net4', 'net5']);
    expect(entries.every((e) => e.ip === undefined && e.ipRange === undefined)).toBe(true);
    expect(problems).toEqual([
      '"10.0.0.0/8x" in "net:10.0.0.0/8x" is not an IPv4 subnet in CIDR notation with its host bits clear (e.g. 10.0.1.0/24)',
      '"10.0.300.1" in "net2:10.0.300.1" is not an IPv4 address (e.g. 10.0.1.10) or subnet (e.g. 10.0.1.0/24)',
      '"" in "net3:" is not an IPv4 address (e.g. 10.0.1.10) or subnet (e.g. 10.0.1.0/24)',
      // Leading zeros have no single meaning (some tools read 010 as octal 8): refused, as the form refuses them.
      '"010.0.1.7" in "net4:010.0.1.7" is not an IPv4 address (e.g. 10.0.1.10) or subnet (e.g. 10.0.1.0/24)',
      '"10.0.01.0/24" in "net5:10.0.01.0/24" is not an IPv4 subnet in CIDR notation with its host bits clear (e.g. 10.0.1.0/24)',
    ]);
  });

  it('rejects the same network twice', () => {
    expect(parseNetworkEntries(['net:10.0.1.0/24', 'net']).problems).toEqual([
      'network "net" is listed 2 times: a server attaches to each network once',
    ]);
  });

  it('leaves pinned networks out of the create request', () => {
    expect(createNetworkIds([1, 2, 3], [{ networkId: 2, networkName: 'b', ip: '10.0.0.5' }])).toEqual([1, 3]);
  });
});

describe('pool from the machine name', () => {
  it.each([
    ['prod-workers-6c9f8d7b5-x2k4q', 'prod', 'workers'],
    ['prod-cp-pool-6c9f8d7b5-x2k4q', 'prod', 'cp-pool'],
    // A cluster id that is not the name's prefix (Rancher's c-m-… ids): the cluster name stays in the pool.
    ['prod-workers-6c9f8d7b5-x2k4q', 'c-m-abc12', 'prod-workers'],
    ['prod-workers-6c9f8d7b5-x2k4q', '', 'prod-workers'],
    ['prod-6c9f8d7b5-x2k4q', 'prod', 'prod'],
    ['node-1', 'prod', ''],
    ['single', '', ''],
  ])('%s with cluster "%s" → "%s"', (name, cluster, pool) => {
    expect(poolFromMachineName(name, cluster)).toBe(pool);
  });

  it('prefers a pool= server label', () => {
    expect(poolName('prod-workers-6c9f8d7b5-x2k4q', 'prod', ['env=prod', 'pool=gpu'])).toBe('gpu');
    expect(poolName('prod-workers-6c9f8d7b5-x2k4q', 'prod', ['env=prod'])).toBe('workers');
  });
});

describe('rDNS template', () => {
  const values = { machine: 'prod-workers-6c9f8d7b5-x2k4q', cluster: 'Prod', pool: 'workers' };

  it('fills placeholders with or without spaces, lower-cased', () => {
    expect(renderRdnsTemplate('{{machine}}.{{ pool }}.{{  cluster  }}.k8s.example.com', values)).toBe(
      'prod-workers-6c9f8d7b5-x2k4q.workers.prod.k8s.example.com',
    );
    expect(rdnsHostname('{{ machine }}.example.com.', values)).toEqual({
      name: 'prod-workers-6c9f8d7b5-x2k4q.example.com.',
    });
  });

  it.each([
    [
      '{{ node }}.example.com',
      values,
      'unknown placeholder {{ node }}: use {{ machine }}, {{ cluster }} or {{ pool }}',
    ],
    ['{{ cluster }}.example.com', { ...values, cluster: '' }, 'no cluster ID is set (--hetzner-cluster-id)'],
    ['{{ pool }}.example.com', { ...values, pool: '' }, 'add the label pool=<name> to --hetzner-server-labels'],
    ['{ machine }.example.com', values, 'has an unmatched "{" or "}"'],
  ])('rejects %s', (template, v, message) => {
    expect(() => renderRdnsTemplate(template, v)).toThrow(message);
  });

  it.each([
    ['node.example.com', null],
    ['node', 'is not a fully qualified name'],
    ['node..example.com', 'has an empty label'],
    ['-node.example.com', 'has the label "-node"'],
    ['node_1.example.com', 'has the label "node_1"'],
    [`${'a'.repeat(64)}.example.com`, 'at most 63 are allowed'],
    [`${'abcdefghi.'.repeat(26)}com`, 'a host name has at most 253'],
    ['10.0.0.1', 'ends in a numeric label'],
  ])('host name %s', (name, problem) => {
    const got = hostnameProblem(name);
    if (problem === null) expect(got).toBeNull();
    else expect(got).toContain(problem);
  });

  it('targets the IPv4 and ::1 of the IPv6 /64, whichever the server has', () => {
    const srv = (v4: string | null, v6: string | null) =>
      ({ public_net: { ipv4: v4 ? { ip: v4 } : null, ipv6: v6 ? { ip: v6 } : null } }) as unknown as Server;
    expect(rdnsTargets(srv('203.0.113.4', '2001:db8:1:2::/64'))).toEqual(['203.0.113.4', '2001:db8:1:2::1']);
    expect(rdnsTargets(srv(null, '2001:db8:1:2::/64'))).toEqual(['2001:db8:1:2::1']);
    expect(rdnsTargets(srv(null, null))).toEqual([]);
  });
});

describe('the three flags', () => {
  const ours = [FLAG.rdnsTemplate, FLAG.firewallAdminCidrs, FLAG.firewallCloseNodeports];

  it('exist with HETZNER_* env vars and survive Rancher’s camelCase round trip', () => {
    const flags = createFlags();
    for (const name of ours) {
      const f = flags.find((x) => x.name === name);
      expect(f, name).toBeDefined();
      expect(f!.envVar).toBe(name.toUpperCase().replace(/-/g, '_'));
      expect(fromRancherField('hetzner', toRancherField(name))).toBe(name);
    }
    expect(ours.map(toRancherField)).toEqual(['rdnsTemplate', 'firewallAdminCidrs', 'firewallCloseNodeports']);
    expect(flags.find((f) => f.name === FLAG.rdnsTemplate)?.kind).toBe('string');
    expect(flags.find((f) => f.name === FLAG.firewallAdminCidrs)?.kind).toBe('stringSlice');
    expect(flags.find((f) => f.name === FLAG.firewallCloseNodeports)?.kind).toBe('bool');
    // rancher-machine writes its cloud-config path into the first user-data-like flag: still ours.
    expect(flags.find((f) => /user-?data|custom-data|cloud-config/.test(f.name))?.name).toBe(FLAG.userData);
  });

  it('read with defaults that keep today’s behaviour, and accept form values', () => {
    const none = readFlags(new Map());
    expect([none.rdnsTemplate, none.firewallAdminCidrs, none.firewallCloseNodeports]).toEqual(['', [], false]);
    const set = readFlags(
      new Map<string, FlagValue>([
        [FLAG.rdnsTemplate, ' {{ machine }}.example.com '],
        [FLAG.firewallAdminCidrs, ['203.0.113.0/24, 198.51.100.7']],
        [FLAG.firewallCloseNodeports, 'true'],
      ]),
    );
    expect(set.rdnsTemplate).toBe('{{ machine }}.example.com');
    expect(set.firewallAdminCidrs).toEqual(['203.0.113.0/24', '198.51.100.7']);
    expect(set.firewallCloseNodeports).toBe(true);
  });

  it('persist in the machine config; configs without the keys mean today’s behaviour', () => {
    const c = {
      ...emptyConfig(),
      RDNSTemplate: '{{ machine }}.example.com',
      FirewallAdminCIDRs: ['203.0.113.0/24'],
      FirewallCloseNodePorts: true,
    };
    const back = parseConfig(serializeConfig(c));
    expect([back.RDNSTemplate, back.FirewallAdminCIDRs, back.FirewallCloseNodePorts]).toEqual([
      '{{ machine }}.example.com',
      ['203.0.113.0/24'],
      true,
    ]);
    const old = parseConfig('{"MachineName":"m","FirewallAdminCIDRs":null}');
    expect([old.RDNSTemplate, old.FirewallAdminCIDRs, old.FirewallCloseNodePorts]).toEqual(['', [], false]);
  });
});
