// Admin source CIDRs and the NodePort switch in the rule template: what a new firewall gets, and what the
// reconciler adds to an existing one.
import { describe, expect, it } from 'vitest';
import type { ServerLike } from '../../src/firewall/api';
import { desiredRules } from '../../src/firewall/desired';
import { ANY_IPV4, ANY_IPV6, baseTemplateRules, parseAdminCidrs, publicTemplates } from '../../src/firewall/rules';
import type { FirewallRuleRequest } from '../../src/hcloud/resources/firewall';

const inbound = (rules: FirewallRuleRequest[], port: string) =>
  rules.filter((r) => r.direction === 'in' && r.port === port);

function node(id: number, v4: string): ServerLike {
  return {
    id,
    name: `n${id}`,
    status: 'running',
    labels: {},
    public_net: { ipv4: { ip: v4 }, ipv6: null },
  } as ServerLike;
}

describe('parseAdminCidrs', () => {
  it('canonicalises, dedupes and takes bare addresses as single hosts', () => {
    expect(parseAdminCidrs(['203.0.113.7/24', '198.51.100.9', ' 2001:DB8::/32 ', '203.0.113.0/24', ''])).toEqual([
      '198.51.100.9/32',
      '203.0.113.0/24',
      '2001:db8::/32',
    ]);
    expect(parseAdminCidrs(undefined)).toEqual([]);
  });

  it.each([['10.0.0.0/33'], ['300.1.1.1'], ['office'], ['2001:db8::/129']])(
    'rejects %s with a message naming it and an example',
    (bad) => {
      expect(() => parseAdminCidrs(['10.0.0.0/8', bad])).toThrow(
        `admin CIDR "${bad}" is not an IPv4 or IPv6 address or CIDR (e.g. 203.0.113.0/24)`,
      );
    },
  );
});

describe('template with admin CIDRs', () => {
  it('opens SSH and the Kubernetes API only to the admin CIDRs; NodePorts and ICMP stay open to anywhere', () => {
    const rules = baseTemplateRules({ adminCidrs: ['203.0.113.0/24', '2001:db8::/32'] });
    for (const port of ['22', '6443']) {
      expect(inbound(rules, port)).toEqual([
        expect.objectContaining({ protocol: 'tcp', source_ips: ['203.0.113.0/24', '2001:db8::/32'] }),
      ]);
    }
    expect(inbound(rules, '30000-32767').map((r) => r.source_ips)).toEqual([
      [ANY_IPV4, ANY_IPV6],
      [ANY_IPV4, ANY_IPV6],
    ]);
    expect(rules.find((r) => r.protocol === 'icmp' && r.direction === 'in')?.source_ips).toEqual([ANY_IPV4, ANY_IPV6]);
  });

  it('defaults to anywhere for SSH and the API, as before', () => {
    const rules = baseTemplateRules({ adminCidrs: [] });
    expect(inbound(rules, '22')[0]?.source_ips).toEqual([ANY_IPV4, ANY_IPV6]);
    expect(inbound(rules, '6443')[0]?.source_ips).toEqual([ANY_IPV4, ANY_IPV6]);
  });
});

describe('NodePort switch', () => {
  it('leaves the NodePort rules out when openNodePorts is false and keeps them by default', () => {
    expect(inbound(baseTemplateRules({ openNodePorts: false }), '30000-32767')).toEqual([]);
    expect(inbound(baseTemplateRules({}), '30000-32767').map((r) => r.protocol)).toEqual(['tcp', 'udp']);
    expect(inbound(baseTemplateRules({ openNodePorts: true }), '30000-32767')).toHaveLength(2);
    expect(publicTemplates({ openNodePorts: false }).map((t) => t.description)).toEqual([
      'SSH',
      'Kubernetes API',
      'ICMP',
    ]);
  });

  it('the reconciler does not add NodePort rules when closed, and keeps ones the user added by hand', () => {
    const closed = desiredRules({
      current: [],
      clusterServers: [node(1, '198.51.100.1')],
      change: null,
      autoCreateRules: true,
      options: { openNodePorts: false, adminCidrs: ['203.0.113.0/24'] },
    });
    expect(inbound(closed.rules, '30000-32767')).toEqual([]);
    expect(inbound(closed.rules, '22')[0]?.source_ips).toEqual(['203.0.113.0/24']);
    expect(closed.sources).toEqual(['198.51.100.1/32']);

    const handMade: FirewallRuleRequest = {
      direction: 'in',
      protocol: 'tcp',
      port: '30000-32767',
      source_ips: ['192.0.2.0/24'],
      description: 'NodePorts from the office',
    };
    const kept = desiredRules({
      current: [handMade],
      clusterServers: [],
      change: null,
      autoCreateRules: true,
      options: { openNodePorts: false },
    });
    expect(inbound(kept.rules, '30000-32767')).toEqual([handMade]);
  });
});
