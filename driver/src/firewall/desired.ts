// The pure heart of the reconciler: (current rules, cluster servers, this change) → desired rules. No I/O, so
// every writer in every driver process computes the same answer from the same ground truth.
import type { FirewallProtocol, FirewallRuleRequest } from '../hcloud';
import type { ServerLike } from './api';
import { canonicalCidr, IPV4_NODE_PREFIX, IPV6_NODE_PREFIX, normaliseCidrList } from './cidr';
import {
  type AnyRule,
  canonicalRule,
  INTERNAL_RULES,
  internalRule,
  isInternalRule,
  MAX_CIDRS_PER_RULE,
  MAX_DESCRIPTION,
  MAX_RULES_PER_FIREWALL,
  OUTBOUND_RULES,
  outboundRule,
  publicRule,
  publicTemplates,
  type RuleOptions,
  ruleKey,
} from './rules';

/** A Hetzner limit would be exceeded; raised before anything is written. */
export class FirewallLimitError extends Error {
  override readonly name = 'FirewallLimitError';
  readonly limit: 'rules-per-firewall' | 'cidrs-per-rule' | 'firewalls-per-server' | 'description-length';
  constructor(limit: FirewallLimitError['limit'], message: string) {
    super(message);
    this.limit = limit;
  }
}

export type NodeChange = { kind: 'join'; server: ServerLike } | { kind: 'leave'; server: ServerLike };

export interface DesiredInput {
  /** The firewall's rules as last read. */
  current: readonly AnyRule[];
  /** The cluster's servers as listed by label right now. */
  clusterServers: readonly ServerLike[];
  /** The internal sources, when they come from elsewhere than the servers (a first write from the rules). */
  sources?: readonly string[] | undefined;
  /** This node joining or leaving; null to reconcile from ground truth alone. */
  change: NodeChange | null;
  /** auto-create-firewall-rules: make sure the design's public, internal and outbound rules exist. */
  autoCreateRules: boolean;
  /** Admin CIDRs and NodePorts for the template (defaults: the design's rules). */
  options?: RuleOptions | undefined;
}

export interface DesiredResult {
  rules: FirewallRuleRequest[];
  /** The internal source list (canonical, sorted) the rules carry. */
  sources: string[];
  /** Things the user should know that are not errors (e.g. nothing to register into). */
  warnings: string[];
}

/** A node's addresses as firewall sources: public IPv4 as /32, its IPv6 network as /64. */
export function nodeSources(server: ServerLike): string[] {
  const out: string[] = [];
  const v4 = server.public_net.ipv4?.ip;
  if (v4) {
    const c = canonicalCidr(v4.split('/')[0]!, IPV4_NODE_PREFIX);
    if (c?.family === 4) out.push(c.cidr);
  }
  const v6 = server.public_net.ipv6?.ip;
  if (v6) {
    // The API reports the server's network (`…::/64`); force /64 even if a single address is ever reported.
    const c = canonicalCidr(v6.split('/')[0]!, IPV6_NODE_PREFIX);
    if (c?.family === 6) out.push(c.cidr);
  }
  return out;
}

/** The cluster members whose addresses belong in the internal rules after `change`. */
export function memberServers(clusterServers: readonly ServerLike[], change: NodeChange | null): ServerLike[] {
  // A server being deleted is leaving even if its driver never got to deregister it.
  const members = clusterServers.filter(
    (s) => s.status !== 'deleting' && !(change?.kind === 'leave' && s.id === change.server.id),
  );
  if (change?.kind === 'join' && !members.some((s) => s.id === change.server.id)) members.push(change.server);
  return members;
}

/** The internal source list from ground truth (an address shared with a remaining server stays). */
export function desiredSources(clusterServers: readonly ServerLike[], change: NodeChange | null): string[] {
  return normaliseCidrList(memberServers(clusterServers, change).flatMap(nodeSources));
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Desired rules: foreign rules kept as they are; with autoCreateRules, missing public and outbound rules of the
 * template added (a public rule the user narrowed, e.g. SSH from admin CIDRs only, counts as present); internal
 * rules (the template's when autoCreateRules, plus any the firewall already has) carrying exactly the desired
 * sources, split into rules of at most 100 CIDRs. An internal rule with no sources is dropped, because Hetzner
 * requires sources on inbound rules. Throws FirewallLimitError when the result would not fit Hetzner's limits.
 */
export function desiredRules(input: DesiredInput): DesiredResult {
  const warnings: string[] = [];
  const sources = input.sources ? [...input.sources] : desiredSources(input.clusterServers, input.change);
  const foreign = input.current.filter((r) => !isInternalRule(r)).map(canonicalRule);
  const existingInternal = input.current.filter(isInternalRule);

  const rules: FirewallRuleRequest[] = [...foreign];
  const present = new Set(foreign.map(ruleKey));
  if (input.autoCreateRules) {
    for (const t of publicTemplates(input.options)) {
      const r = publicRule(t, input.options);
      if (!present.has(ruleKey(r))) rules.push(r);
    }
  }

  // Internal rule kinds in a stable order: the template first, then kinds only this firewall has.
  const kinds = new Map<string, { protocol: FirewallProtocol; port: string | null; description: string }>();
  if (input.autoCreateRules) {
    for (const t of INTERNAL_RULES) kinds.set(ruleKey({ direction: 'in', ...t }), t);
  }
  for (const r of existingInternal) {
    const key = ruleKey(r);
    if (!kinds.has(key))
      kinds.set(key, { protocol: r.protocol, port: r.port ?? null, description: r.description ?? '' });
  }
  if (kinds.size === 0 && sources.length > 0) {
    warnings.push(
      'the cluster firewall has no internal rules (description ending "(cluster nodes only)") and ' +
        'auto-create-firewall-rules is off, so node addresses are not registered in it',
    );
  }
  for (const kind of kinds.values()) {
    for (const part of chunk(sources, MAX_CIDRS_PER_RULE)) rules.push(internalRule(kind, part));
  }

  if (input.autoCreateRules) {
    for (const t of OUTBOUND_RULES) {
      const r = outboundRule(t);
      if (!present.has(ruleKey(r))) rules.push(r);
    }
  }

  checkRuleLimits(rules, sources.length, kinds.size);
  return { rules, sources, warnings };
}

/** Hetzner's per-firewall limits, checked before any write so the user gets a reason rather than `invalid_input`. */
export function checkRuleLimits(rules: readonly FirewallRuleRequest[], sourceCount = 0, internalKinds = 0): void {
  if (rules.length > MAX_RULES_PER_FIREWALL) {
    const internal = rules.filter(isInternalRule).length;
    throw new FirewallLimitError(
      'rules-per-firewall',
      `the cluster firewall would need ${rules.length} rules, but Hetzner allows ${MAX_RULES_PER_FIREWALL} per ` +
        `firewall: ${internal} internal rules carry ${sourceCount} node addresses (at most ${MAX_CIDRS_PER_RULE} ` +
        `per rule, ${internalKinds} port groups) and ${rules.length - internal} are other rules. Remove unused ` +
        'rules from the firewall, or split the cluster; with more than a few hundred nodes a firewall per node ' +
        'pool is needed',
    );
  }
  for (const r of rules) {
    const n = Math.max(r.source_ips?.length ?? 0, r.destination_ips?.length ?? 0);
    if (n > MAX_CIDRS_PER_RULE) {
      throw new FirewallLimitError(
        'cidrs-per-rule',
        `firewall rule "${r.description ?? ruleKey(r)}" would have ${n} CIDR blocks; Hetzner allows ` +
          `${MAX_CIDRS_PER_RULE} per rule. Split it into several rules with the same port`,
      );
    }
    if ((r.description ?? '').length > MAX_DESCRIPTION) {
      throw new FirewallLimitError(
        'description-length',
        `firewall rule description is ${(r.description ?? '').length} characters; Hetzner allows ${MAX_DESCRIPTION}`,
      );
    }
  }
}
