import { describe, expect, it } from 'vitest';
import type { ServerLike } from '../../src/firewall/api';
import {
  checkRuleLimits,
  type DesiredInput,
  desiredRules,
  FirewallLimitError,
  nodeSources,
} from '../../src/firewall/desired';
import {
  type AnyRule,
  baseTemplateRules,
  INTERNAL_RULES,
  internalSources,
  isInternalRule,
  OUTBOUND_RULES,
  PUBLIC_RULES,
  parseAdminCidrs,
  rulesEqual,
} from '../../src/firewall/rules';
import type { FirewallRule } from '../../src/hcloud/resources/firewall';

function server(id: number, ipv4: string | null, ipv6: string | null, status = 'running'): ServerLike {
  return {
    id,
    name: `node-${id}`,
    status,
    labels: { cluster: 'c1' },
    public_net: { ipv4: ipv4 ? { ip: ipv4 } : null, ipv6: ipv6 ? { ip: ipv6 } : null },
  };
}

const A = server(1, '203.0.113.1', '2a01:4f8:c0c:1::/64');
const B = server(2, '203.0.113.2', '2a01:4f8:c0c:2::/64');
const C = server(3, '203.0.113.3', '2a01:4f8:c0c:3::/64');
const V6 = server(4, null, '2a01:4f8:c0c:00FF::/64');
const V4 = server(5, '198.51.100.5', null);

/** The full rule set a firewall with these node sources should hold under auto-create. */
function fullSet(sources: string[]): AnyRule[] {
  return [
    ...baseTemplateRules(),
    ...INTERNAL_RULES.map((t) => ({
      direction: 'in' as const,
      protocol: t.protocol,
      ...(t.port ? { port: t.port } : {}),
      source_ips: sources,
      description: t.description,
    })),
  ];
}

const foreign: FirewallRule = {
  direction: 'in',
  protocol: 'tcp',
  port: '8080',
  source_ips: ['192.0.2.0/24'],
  destination_ips: [],
  description: 'team dashboard',
};

const narrowedSsh: FirewallRule = {
  direction: 'in',
  protocol: 'tcp',
  port: '22',
  source_ips: ['198.51.100.0/24'],
  destination_ips: [],
  description: 'SSH from the office',
};

const userInternal: FirewallRule = {
  direction: 'in',
  protocol: 'tcp',
  port: '7946',
  source_ips: ['203.0.113.99/32'],
  destination_ips: [],
  description: 'memberlist (cluster nodes only)',
};

interface Case {
  name: string;
  input: DesiredInput;
  sources: string[];
  /** Extra checks on the result rules. */
  check?: (rules: AnyRule[]) => void;
}

const cases: Case[] = [
  {
    name: 'first join into an empty firewall creates the whole template',
    input: { current: [], clusterServers: [A], change: { kind: 'join', server: A }, autoCreateRules: true },
    sources: ['203.0.113.1/32', '2a01:4f8:c0c:1::/64'],
    check: (rules) => {
      expect(rules).toHaveLength(PUBLIC_RULES.length + INTERNAL_RULES.length + OUTBOUND_RULES.length);
      expect(rulesEqual(rules, fullSet(['203.0.113.1/32', '2a01:4f8:c0c:1::/64']))).toBe(true);
    },
  },
  {
    name: 'join while the server list lags behind still adds the node',
    input: {
      current: fullSet(['203.0.113.1/32', '2a01:4f8:c0c:1::/64']),
      clusterServers: [A],
      change: { kind: 'join', server: B },
      autoCreateRules: true,
    },
    sources: ['203.0.113.1/32', '203.0.113.2/32', '2a01:4f8:c0c:1::/64', '2a01:4f8:c0c:2::/64'],
  },
  {
    name: 'join of a node already listed adds it once (duplicates collapse)',
    input: {
      current: fullSet(['203.0.113.1/32', '203.0.113.1/32', '2a01:4f8:c0c:1:0::/64']),
      clusterServers: [A, B, B],
      change: { kind: 'join', server: B },
      autoCreateRules: true,
    },
    sources: ['203.0.113.1/32', '203.0.113.2/32', '2a01:4f8:c0c:1::/64', '2a01:4f8:c0c:2::/64'],
  },
  {
    name: 'ground truth wins over the rules: a stale source is dropped, a missing peer is added',
    input: {
      current: fullSet(['203.0.113.77/32', '203.0.113.1/32']),
      clusterServers: [A, C],
      change: { kind: 'join', server: A },
      autoCreateRules: true,
    },
    sources: ['203.0.113.1/32', '203.0.113.3/32', '2a01:4f8:c0c:1::/64', '2a01:4f8:c0c:3::/64'],
  },
  {
    name: 'leave removes the node even while the API still lists it',
    input: {
      current: fullSet(['203.0.113.1/32', '203.0.113.2/32', '2a01:4f8:c0c:1::/64', '2a01:4f8:c0c:2::/64']),
      clusterServers: [A, B],
      change: { kind: 'leave', server: B },
      autoCreateRules: true,
    },
    sources: ['203.0.113.1/32', '2a01:4f8:c0c:1::/64'],
  },
  {
    name: 'leave keeps an address another remaining server holds (recycled IP)',
    input: {
      current: fullSet([]),
      clusterServers: [A, server(9, '203.0.113.2', null)],
      change: { kind: 'leave', server: B },
      autoCreateRules: true,
    },
    sources: ['203.0.113.1/32', '203.0.113.2/32', '2a01:4f8:c0c:1::/64'],
  },
  {
    name: 'servers being deleted are not members',
    input: {
      current: [],
      clusterServers: [A, server(2, '203.0.113.2', null, 'deleting')],
      change: null,
      autoCreateRules: true,
    },
    sources: ['203.0.113.1/32', '2a01:4f8:c0c:1::/64'],
  },
  {
    name: 'IPv6-only node contributes its /64 only (canonical spelling)',
    input: { current: [], clusterServers: [A, V6], change: { kind: 'join', server: V6 }, autoCreateRules: true },
    sources: ['203.0.113.1/32', '2a01:4f8:c0c:1::/64', '2a01:4f8:c0c:ff::/64'],
  },
  {
    name: 'IPv4-only node contributes its /32 only',
    input: { current: [], clusterServers: [V4], change: { kind: 'join', server: V4 }, autoCreateRules: true },
    sources: ['198.51.100.5/32'],
  },
  {
    name: 'foreign rules are kept and a narrowed SSH rule is not re-opened to the world',
    input: {
      current: [foreign, narrowedSsh, userInternal],
      clusterServers: [A],
      change: { kind: 'join', server: A },
      autoCreateRules: true,
    },
    sources: ['203.0.113.1/32', '2a01:4f8:c0c:1::/64'],
    check: (rules) => {
      expect(rules).toContainEqual({
        direction: 'in',
        protocol: 'tcp',
        port: '8080',
        source_ips: ['192.0.2.0/24'],
        description: 'team dashboard',
      });
      const ssh = rules.filter((r) => r.port === '22');
      expect(ssh).toHaveLength(1);
      expect(ssh[0]!.source_ips).toEqual(['198.51.100.0/24']);
      // A user's own internal rule (by suffix) follows the node list too.
      const memberlist = rules.find((r) => r.port === '7946')!;
      expect(memberlist.source_ips).toEqual(['203.0.113.1/32', '2a01:4f8:c0c:1::/64']);
    },
  },
  {
    name: 'without auto-create only existing internal rules are updated',
    input: {
      current: [foreign, userInternal],
      clusterServers: [A, B],
      change: { kind: 'join', server: B },
      autoCreateRules: false,
    },
    sources: ['203.0.113.1/32', '203.0.113.2/32', '2a01:4f8:c0c:1::/64', '2a01:4f8:c0c:2::/64'],
    check: (rules) => {
      expect(rules).toHaveLength(2);
      expect(rules.filter(isInternalRule)).toHaveLength(1);
    },
  },
  {
    name: 'no nodes left: internal rules are dropped (Hetzner needs sources on inbound rules)',
    input: {
      current: fullSet(['203.0.113.1/32']),
      clusterServers: [A],
      change: { kind: 'leave', server: A },
      autoCreateRules: true,
    },
    sources: [],
    check: (rules) => {
      expect(rules.filter(isInternalRule)).toHaveLength(0);
      expect(rules).toHaveLength(PUBLIC_RULES.length + OUTBOUND_RULES.length);
    },
  },
];

describe('desiredRules', () => {
  it.each(cases)('$name', ({ input, sources, check }) => {
    const result = desiredRules(input);
    expect(result.sources).toEqual(sources);
    for (const r of result.rules.filter(isInternalRule)) expect(r.source_ips).toEqual(sources);
    expect(internalSources(result.rules)).toEqual(sources);
    check?.(result.rules);
    // A second pass over its own output changes nothing: the function is a fixed point, so verify can converge.
    const again = desiredRules({ ...input, current: result.rules });
    expect(rulesEqual(again.rules, result.rules)).toBe(true);
  });

  it('does not depend on the order of servers or rules', () => {
    const one = desiredRules({
      current: [foreign, narrowedSsh],
      clusterServers: [A, B, C],
      change: null,
      autoCreateRules: true,
    });
    const two = desiredRules({
      current: [narrowedSsh, foreign],
      clusterServers: [C, A, B],
      change: null,
      autoCreateRules: true,
    });
    expect(rulesEqual(one.rules, two.rules)).toBe(true);
  });

  it('warns when there is nothing to register into', () => {
    const r = desiredRules({
      current: [foreign],
      clusterServers: [A],
      change: { kind: 'join', server: A },
      autoCreateRules: false,
    });
    expect(r.rules).toEqual([
      { direction: 'in', protocol: 'tcp', port: '8080', source_ips: ['192.0.2.0/24'], description: 'team dashboard' },
    ]);
    expect(r.warnings.join()).toMatch(/no internal rules.*auto-create-firewall-rules is off/);
  });

  it('splits large source lists into rules of at most 100 CIDRs', () => {
    const many = Array.from({ length: 120 }, (_, i) =>
      server(100 + i, `10.0.${i >> 8}.${i & 255}`, `2a01:4f8:1:${i.toString(16)}::/64`),
    );
    const r = desiredRules({ current: [], clusterServers: many, change: null, autoCreateRules: true });
    expect(r.sources).toHaveLength(240);
    const internal = r.rules.filter(isInternalRule);
    expect(internal).toHaveLength(INTERNAL_RULES.length * 3);
    for (const rule of internal) expect(rule.source_ips!.length).toBeLessThanOrEqual(100);
    expect(internalSources(r.rules)).toEqual(r.sources);
    const etcd = internal.filter((x) => x.port === '2379-2381');
    expect(etcd.flatMap((x) => x.source_ips)).toEqual(r.sources);
  });

  it('refuses, before writing, a rule list over 50 rules with a reason', () => {
    const many = Array.from({ length: 400 }, (_, i) =>
      server(100 + i, `10.1.${i >> 8}.${i & 255}`, `2a01:4f8:2:${i.toString(16)}::/64`),
    );
    let err: unknown;
    try {
      desiredRules({ current: [], clusterServers: many, change: null, autoCreateRules: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FirewallLimitError);
    expect((err as FirewallLimitError).limit).toBe('rules-per-firewall');
    expect((err as Error).message).toMatch(/would need \d+ rules, but Hetzner allows 50.*800 node addresses/);
  });

  it('guards sources per rule and description length', () => {
    const tooMany = Array.from({ length: 101 }, (_, i) => `10.2.0.${i}/32`);
    expect(() => checkRuleLimits([{ direction: 'in', protocol: 'tcp', port: '1', source_ips: tooMany }])).toThrow(
      /101 CIDR blocks; Hetzner allows 100/,
    );
    expect(() =>
      checkRuleLimits([
        { direction: 'in', protocol: 'tcp', port: '1', source_ips: ['1.1.1.1/32'], description: 'x'.repeat(256) },
      ]),
    ).toThrow(FirewallLimitError);
  });
});

describe('nodeSources', () => {
  it('uses /32 for IPv4 and the /64 for IPv6, whatever prefix the API reports', () => {
    expect(nodeSources(server(1, '203.0.113.1', '2a01:4f8:c0c:1::1/128'))).toEqual([
      '203.0.113.1/32',
      '2a01:4f8:c0c:1::/64',
    ]);
    expect(nodeSources(server(1, null, null))).toEqual([]);
  });
});

describe('rulesEqual', () => {
  it('compares canonical forms: IPv6 spelling, CIDR order, null vs absent fields', () => {
    const api: FirewallRule = {
      direction: 'in',
      protocol: 'udp',
      port: '8472',
      source_ips: ['2A01:4F8:C0C:0001:0:0:0:0/64', '203.0.113.1/32'],
      destination_ips: [],
      description: 'VXLAN (cluster nodes only)',
    };
    const ours = {
      direction: 'in' as const,
      protocol: 'udp' as const,
      port: '8472',
      source_ips: ['203.0.113.1/32', '2a01:4f8:c0c:1::/64'],
      description: 'VXLAN (cluster nodes only)',
    };
    expect(rulesEqual([api], [ours])).toBe(true);
    expect(rulesEqual([api], [{ ...ours, source_ips: ['203.0.113.1/32'] }])).toBe(false);
    expect(rulesEqual([api, api], [ours])).toBe(false);
  });
});

describe('optional template extras', () => {
  it('opens SSH and the Kubernetes API to the admin CIDRs only, NodePorts still to anyone', () => {
    const adminCidrs = parseAdminCidrs(['198.51.100.7', '2001:db8:AA::/48']);
    expect(adminCidrs).toEqual(['198.51.100.7/32', '2001:db8:aa::/48']);
    const r = desiredRules({
      current: [],
      clusterServers: [A],
      change: null,
      autoCreateRules: true,
      options: { adminCidrs },
    });
    expect(r.rules.find((x) => x.port === '22')!.source_ips).toEqual(adminCidrs);
    expect(r.rules.find((x) => x.port === '6443')!.source_ips).toEqual(adminCidrs);
    expect(r.rules.find((x) => x.port === '30000-32767')!.source_ips).toEqual(['0.0.0.0/0', '::/0']);
    expect(baseTemplateRules({ adminCidrs }).find((x) => x.port === '22')!.source_ips).toEqual(adminCidrs);
  });

  it('rejects malformed CIDRs with the accepted forms', () => {
    expect(() => parseAdminCidrs(['10.0.0.0/33'])).toThrow(/admin CIDR "10.0.0.0\/33" is not an IPv4 or IPv6/);
  });
});
