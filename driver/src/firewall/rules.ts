// The rule model: the RKE2 rule template of the design, how internal rules are recognised, and a canonical form so
// that a rule list read back from the API can be compared with the one we wrote.
import type { FirewallProtocol, FirewallRule, FirewallRuleRequest } from '../hcloud';
import { canonicalCidr, normaliseCidrList } from './cidr';

/** Internal rules are ours by this description suffix; everything else on the firewall is left as it is. */
export const INTERNAL_SUFFIX = '(cluster nodes only)';
export const ANY_IPV4 = '0.0.0.0/0';
export const ANY_IPV6 = '::/0';
/** Hetzner limits (reference §4). */
export const MAX_CIDRS_PER_RULE = 100;
export const MAX_RULES_PER_FIREWALL = 50;
export const MAX_FIREWALLS_PER_SERVER = 5;
export const MAX_DESCRIPTION = 255;

export interface RuleTemplate {
  protocol: FirewallProtocol;
  port: string | null;
  description: string;
  /** Administrative access: from the admin CIDRs when they are given, else from anywhere. */
  admin?: boolean;
  /** The NodePort range, left out when `openNodePorts` is false. */
  nodePorts?: boolean;
}

/** Reachable from anywhere: SSH (rancher-machine provisions over it), the Kubernetes API, NodePorts, ICMP. */
export const PUBLIC_RULES: readonly RuleTemplate[] = [
  { protocol: 'tcp', port: '22', description: 'SSH', admin: true },
  { protocol: 'tcp', port: '6443', description: 'Kubernetes API', admin: true },
  { protocol: 'tcp', port: '30000-32767', description: 'NodePorts TCP', nodePorts: true },
  { protocol: 'udp', port: '30000-32767', description: 'NodePorts UDP', nodePorts: true },
  { protocol: 'icmp', port: null, description: 'ICMP' },
];

/** Reachable only from the cluster's node addresses. */
export const INTERNAL_RULES: readonly RuleTemplate[] = [
  { protocol: 'tcp', port: '9345', description: `RKE2 supervisor ${INTERNAL_SUFFIX}` },
  { protocol: 'tcp', port: '2379-2381', description: `etcd ${INTERNAL_SUFFIX}` },
  { protocol: 'tcp', port: '10250', description: `kubelet ${INTERNAL_SUFFIX}` },
  { protocol: 'udp', port: '8472', description: `VXLAN ${INTERNAL_SUFFIX}` },
  { protocol: 'tcp', port: '9099', description: `Canal health ${INTERNAL_SUFFIX}` },
  { protocol: 'udp', port: '51820-51821', description: `WireGuard ${INTERNAL_SUFFIX}` },
];

/** Choices that shape the template; the defaults give the design's rules exactly. */
export interface RuleOptions {
  /** Sources for SSH and the Kubernetes API instead of anywhere (canonical CIDRs). */
  adminCidrs?: readonly string[] | undefined;
  /** Public NodePort rules (default true); false keeps Services reachable only through load balancers or ingress. */
  openNodePorts?: boolean | undefined;
}

/** The public rules the template adds with these options. */
export function publicTemplates(o: RuleOptions = {}): RuleTemplate[] {
  return PUBLIC_RULES.filter((t) => !(t.nodePorts && o.openNodePorts === false));
}

/** Canonical admin CIDRs from a flag; a bare address means just that host. */
export function parseAdminCidrs(values: readonly string[] | undefined): string[] {
  const out: string[] = [];
  for (const v of values ?? []) {
    if (v.trim() === '') continue;
    const c = canonicalCidr(v);
    if (!c) throw new Error(`admin CIDR "${v}" is not an IPv4 or IPv6 address or CIDR (e.g. 203.0.113.0/24)`);
    out.push(c.cidr);
  }
  return normaliseCidrList(out);
}

/**
 * Once any `out` rule exists Hetzner denies all other outbound traffic, so "all outbound allowed" needs a rule for
 * every protocol the API knows, not just tcp/udp/icmp.
 */
export const OUTBOUND_RULES: readonly RuleTemplate[] = [
  { protocol: 'tcp', port: '1-65535', description: 'All outbound TCP' },
  { protocol: 'udp', port: '1-65535', description: 'All outbound UDP' },
  { protocol: 'icmp', port: null, description: 'All outbound ICMP' },
  { protocol: 'esp', port: null, description: 'All outbound ESP' },
  { protocol: 'gre', port: null, description: 'All outbound GRE' },
];

/** Rules from the API or from us; API rules always carry every field, requests may omit some. */
export type AnyRule = FirewallRule | FirewallRuleRequest;

export function isInternalRule(r: AnyRule): boolean {
  return r.direction === 'in' && (r.description ?? '').trimEnd().endsWith(INTERNAL_SUFFIX);
}

/** Rules with the same key open the same traffic; sources decide from where. */
export function ruleKey(r: { direction: string; protocol: string; port?: string | null }): string {
  return `${r.direction}|${r.protocol}|${r.port ?? ''}`;
}

export function publicRule(t: RuleTemplate, o: RuleOptions = {}): FirewallRuleRequest {
  const admin = t.admin && o.adminCidrs && o.adminCidrs.length > 0 ? [...o.adminCidrs] : null;
  return withPort(
    { direction: 'in', protocol: t.protocol, source_ips: admin ?? [ANY_IPV4, ANY_IPV6], description: t.description },
    t.port,
  );
}

export function outboundRule(t: RuleTemplate): FirewallRuleRequest {
  return withPort(
    { direction: 'out', protocol: t.protocol, destination_ips: [ANY_IPV4, ANY_IPV6], description: t.description },
    t.port,
  );
}

export function internalRule(
  t: { protocol: FirewallProtocol; port: string | null; description: string },
  sources: string[],
): FirewallRuleRequest {
  return withPort({ direction: 'in', protocol: t.protocol, source_ips: sources, description: t.description }, t.port);
}

function withPort(r: FirewallRuleRequest, port: string | null): FirewallRuleRequest {
  return port === null ? r : { ...r, port };
}

/** The rules a freshly created firewall gets with auto-create-firewall-rules: everything but the node sources. */
export function baseTemplateRules(o: RuleOptions = {}): FirewallRuleRequest[] {
  return [...publicTemplates(o).map((t) => publicRule(t, o)), ...OUTBOUND_RULES.map(outboundRule)];
}

/** One canonical spelling per rule: absent and empty fields unified, CIDRs canonical and sorted. */
export function canonicalRule(r: AnyRule): FirewallRuleRequest {
  const out: FirewallRuleRequest = { direction: r.direction, protocol: r.protocol };
  if (r.port !== undefined && r.port !== null && r.port !== '') out.port = r.port;
  const src = r.direction === 'in' ? normaliseCidrList(r.source_ips ?? []) : [];
  const dst = r.direction === 'out' ? normaliseCidrList(r.destination_ips ?? []) : [];
  if (src.length > 0) out.source_ips = src;
  if (dst.length > 0) out.destination_ips = dst;
  if (r.description) out.description = r.description;
  return out;
}

function canonicalKey(r: AnyRule): string {
  const c = canonicalRule(r);
  return JSON.stringify([
    c.direction,
    c.protocol,
    c.port ?? null,
    c.source_ips ?? [],
    c.destination_ips ?? [],
    c.description ?? null,
  ]);
}

/** Rule order carries no meaning on Hetzner (all rules allow), so lists are equal as multisets of canonical rules. */
export function rulesEqual(a: readonly AnyRule[], b: readonly AnyRule[]): boolean {
  if (a.length !== b.length) return false;
  const ka = a.map(canonicalKey).sort();
  const kb = b.map(canonicalKey).sort();
  return ka.every((k, i) => k === kb[i]);
}

/** The sources of all internal rules, canonical and sorted: what "registered nodes" means on a firewall. */
export function internalSources(rules: readonly AnyRule[]): string[] {
  return normaliseCidrList(rules.filter(isInternalRule).flatMap((r) => r.source_ips ?? []));
}
