// Reverse DNS from `hetzner-rdns-template`: the PTR record of the server's public IPv4 and of the ::1 address of
// its IPv6 /64 (Hetzner keeps PTRs per IPv6 address; ::1 is the address the driver reports for the machine).
// Failing to set it fails Create (and so rolls the server back): the cluster's creator asked for those names, and
// a node that silently lacks them breaks whatever relies on them (mail, TLS checks, audits) much later.
import type { HcloudClient, Server } from '../hcloud';
import { POOL_KEY } from '../labels';
import type { Logger } from '../log';
import { firstHostOf } from './addresses';
import { FLAG } from './flags';

export const RDNS_PLACEHOLDERS = ['machine', 'cluster', 'pool'] as const;
export type RdnsPlaceholder = (typeof RDNS_PLACEHOLDERS)[number];
export type RdnsValues = Record<RdnsPlaceholder, string>;

/**
 * Rancher names a pool's machines `<cluster>-<pool>-<machineset hash>-<5 random>`: the pool is what is left after
 * dropping the last two dash-separated parts and, when the name starts with it, the cluster id and its dash. A
 * name with fewer than three parts has no recognisable pool ('').
 */
export function poolFromMachineName(machineName: string, clusterId: string): string {
  const parts = machineName.split('-');
  if (parts.length < 3) return '';
  const base = parts.slice(0, -2).join('-');
  const prefix = `${clusterId.trim()}-`;
  if (clusterId.trim() && base.startsWith(prefix) && base.length > prefix.length) return base.slice(prefix.length);
  return base;
}

/** The pool: the `pool=` server label when given, else derived from the machine name. */
export function poolName(machineName: string, clusterId: string, serverLabels: readonly string[]): string {
  for (const entry of serverLabels) {
    const eq = entry.indexOf('=');
    if (eq > 0 && entry.slice(0, eq).trim() === POOL_KEY) return entry.slice(eq + 1).trim();
  }
  return poolFromMachineName(machineName, clusterId);
}

const PLACEHOLDER_RE = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Fills the template; throws with the flag's fix for an unknown or empty placeholder or a stray brace. */
export function renderRdnsTemplate(template: string, values: RdnsValues): string {
  const unknown: string[] = [];
  const empty: string[] = [];
  const out = template.trim().replace(PLACEHOLDER_RE, (_m, name: string) => {
    if (!(RDNS_PLACEHOLDERS as readonly string[]).includes(name)) {
      unknown.push(name);
      return '';
    }
    const v = values[name as RdnsPlaceholder];
    if (!v) empty.push(name);
    return v.toLowerCase();
  });
  if (unknown.length > 0) {
    throw new Error(
      `unknown placeholder ${unknown.map((u) => `{{ ${u} }}`).join(', ')}: use {{ machine }}, {{ cluster }} or {{ pool }}`,
    );
  }
  if (empty.includes('cluster')) throw new Error('uses {{ cluster }}, but no cluster ID is set (--hetzner-cluster-id)');
  if (empty.includes('pool')) {
    throw new Error(
      `uses {{ pool }}, but the machine name "${values.machine}" does not show a pool (Rancher names pool machines ` +
        `<cluster>-<pool>-<hash>-<suffix>): add the label ${POOL_KEY}=<name> to --hetzner-server-labels`,
    );
  }
  if (out.includes('{') || out.includes('}')) {
    throw new Error('has an unmatched "{" or "}": placeholders are written {{ machine }}, {{ cluster }}, {{ pool }}');
  }
  return out;
}

/** A fully qualified host name as a PTR record wants it: 2+ labels, letters/digits/hyphens, at most 253 chars. */
export function hostnameProblem(name: string): string | null {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  if (n.length === 0) return 'is empty';
  if (n.length > 253) return `is ${n.length} characters long; a host name has at most 253`;
  const labels = n.split('.');
  if (labels.length < 2) return 'is not a fully qualified name: add the domain, e.g. {{ machine }}.k8s.example.com';
  for (const l of labels) {
    if (l.length === 0) return 'has an empty label (two dots in a row)';
    if (l.length > 63) return `has the label "${l}" of ${l.length} characters; at most 63 are allowed`;
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i.test(l)) {
      return `has the label "${l}": labels use letters, digits and "-", and neither start nor end with "-"`;
    }
  }
  if (/^\d+$/.test(labels[labels.length - 1]!)) return 'ends in a numeric label, which no top-level domain is';
  return null;
}

/** The host name for this machine, or the message PreCreateCheck reports under the template flag. */
export function rdnsHostname(template: string, values: RdnsValues): { name: string } | { problem: string } {
  let name: string;
  try {
    name = renderRdnsTemplate(template, values);
  } catch (e) {
    return { problem: `"${template}" ${(e as Error).message}` };
  }
  const bad = hostnameProblem(name);
  if (bad) return { problem: `"${template}" gives "${name}" for machine ${values.machine}, which ${bad}` };
  return { name };
}

/** The addresses a PTR is set for: the public IPv4 and ::1 of the IPv6 /64, when the server has them. */
export function rdnsTargets(server: Server): string[] {
  const out: string[] = [];
  const v4 = server.public_net.ipv4?.ip;
  if (v4) out.push(v4);
  const v6 = server.public_net.ipv6?.ip;
  if (v6) out.push(firstHostOf(v6));
  return out;
}

/** Sets the PTR of every public address to `hostname`; an error names the address and the API's reason. */
export async function setReverseDns(
  client: HcloudClient,
  server: Server,
  hostname: string,
  opts: { timeoutMs: number; logger: Logger },
): Promise<string[]> {
  const targets = rdnsTargets(server);
  if (targets.length === 0) {
    opts.logger.warn(`${FLAG.rdnsTemplate}: server ${server.name} has no public address; no reverse DNS to set`);
    return [];
  }
  for (const ip of targets) {
    try {
      // Sequential: each change locks the server.
      const action = await client.servers.changeDnsPtr(server.id, { ip, dns_ptr: hostname }, { retryLocked: true });
      await client.actions.waitFor([action], { timeoutMs: opts.timeoutMs });
    } catch (e) {
      throw new Error(
        `setting reverse DNS of ${ip} to ${hostname} failed (${FLAG.rdnsTemplate}): ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
  }
  opts.logger.info(`Reverse DNS of ${targets.join(' and ')} set to ${hostname}`);
  return targets;
}

/** Create's step: renders the template for this machine (PreCreateCheck vetted it) and sets the PTRs. */
export async function applyRdnsTemplate(
  client: HcloudClient,
  server: Server,
  input: { template: string; machineName: string; clusterId: string; serverLabels: readonly string[] },
  opts: { timeoutMs: number; logger: Logger },
): Promise<string[]> {
  const r = rdnsHostname(input.template, {
    machine: input.machineName,
    cluster: input.clusterId,
    pool: poolName(input.machineName, input.clusterId, input.serverLabels),
  });
  if ('problem' in r) throw new Error(`${FLAG.rdnsTemplate}: ${r.problem}`);
  return setReverseDns(client, server, r.name, opts);
}
