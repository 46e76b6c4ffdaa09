// How the shared firewall uses the label vocabulary (../labels.ts): the labels of a cluster's firewall, whose a
// labelled resource is, and which label-selector firewalls would reach a server.
import { CLUSTER_KEY, MANAGED_BY_KEY, MANAGED_BY_VALUE, toLabelValue } from '../labels';

/** Labels that identify the cluster's shared firewall (and, on servers, the cluster's nodes). */
export function clusterLabels(clusterId: string): Record<string, string> {
  return { [MANAGED_BY_KEY]: MANAGED_BY_VALUE, [CLUSTER_KEY]: toLabelValue(clusterId) };
}

/** True when the labels prove the driver made this firewall for this cluster: the only firewall it may touch. */
export function isClusterFirewall(
  labels: Readonly<Record<string, string>> | undefined | null,
  clusterId: string,
): boolean {
  return !!labels && labels[MANAGED_BY_KEY] === MANAGED_BY_VALUE && labels[CLUSTER_KEY] === toLabelValue(clusterId);
}

const DESCRIBED_LABELS = 8;

/**
 * Who a resource belongs to, as far as its labels say: for refusals, which must say what exists and who owns it.
 * `labels a=b, … (made by this driver for cluster c-x)`, or `no labels (made by hand)`.
 */
export function describeOwner(labels: Readonly<Record<string, string>> | undefined | null): string {
  const l = labels ?? {};
  const keys = Object.keys(l).sort();
  if (keys.length === 0) return 'no labels (made by hand)';
  const shown = keys.slice(0, DESCRIBED_LABELS).map((k) => (l[k] ? `${k}=${l[k]}` : k));
  if (keys.length > DESCRIBED_LABELS) shown.push(`… ${keys.length - DESCRIBED_LABELS} more`);
  let owner: string;
  if (l[MANAGED_BY_KEY] !== MANAGED_BY_VALUE) owner = 'not made by this driver';
  else if (l[CLUSTER_KEY]) owner = `made by this driver for cluster ${l[CLUSTER_KEY]}`;
  else owner = 'made by this driver for no cluster';
  return `labels ${shown.join(', ')} (${owner})`;
}

/** The default shared-firewall name when firewall-name is not given (names are unique per project, ≤ 128). */
export function defaultFirewallName(clusterId: string): string {
  return `rancher-${toLabelValue(clusterId)}`;
}

/**
 * Evaluates a Hetzner label selector (`k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`, joined by
 * commas as AND) against a label set. Used to count which label-selector firewalls would reach a new server.
 * `k!=v` and `notin` match servers without `k` (Kubernetes semantics), which over-counts rather than under-counts.
 * The mock API parses selectors with its own code (hcloud-mock/src/labels.ts) on purpose: it plays the server.
 */
export function matchesSelector(selector: string, labels: Readonly<Record<string, string>>): boolean {
  return splitTerms(selector).every((term) => matchTerm(term, labels));
}

function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  terms.push(current);
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

function matchTerm(term: string, labels: Readonly<Record<string, string>>): boolean {
  const has = (k: string) => Object.hasOwn(labels, k);
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(term);
  if (set) {
    const [, key, op, list] = set as unknown as [string, string, string, string];
    const values = list.split(',').map((v) => v.trim());
    const inSet = has(key) && values.includes(labels[key]!);
    return op === 'in' ? inSet : !inSet;
  }
  const neq = /^([^!=\s]+)\s*!=\s*(.*)$/.exec(term);
  if (neq) return labels[neq[1]!] !== neq[2]!.trim();
  const eq = /^([^!=\s]+)\s*==?\s*(.*)$/.exec(term);
  if (eq) return has(eq[1]!) && labels[eq[1]!] === eq[2]!.trim();
  if (term.startsWith('!')) return !has(term.slice(1).trim());
  return has(term);
}
