// Label values for cluster ids. Rancher cluster ids are usually valid label values (`c-m-abc123`), but the
// cluster-id flag is free text: namespaced ids (`fleet-default/x`), colons or long names must still map to one
// stable, valid value, the same in every driver process, because every node finds its peers by that value.
import { createHash } from 'node:crypto';

/** Hetzner's label value pattern (empty, or ≤ 63 chars of `[a-zA-Z0-9._-]` starting and ending alphanumeric). */
export const LABEL_VALUE_PATTERN = /^(()|[a-z0-9A-Z]|([a-z0-9A-Z][a-z0-9A-Z._-]{0,61}[a-z0-9A-Z]))$/;

const MAX_LABEL_VALUE = 63;
const HASH_CHARS = 10;

/** Labels every node and resource of the driver carries (set by the driver lifecycle). */
export const MANAGED_BY_LABEL = 'managed-by';
export const MANAGED_BY_VALUE = 'rancher-machine';
export const CLUSTER_LABEL = 'cluster';
/**
 * Carried only by `create-firewall` nodes: the shared firewall is applied through a label selector on this key,
 * so nodes without create-firewall never receive the firewall, and the orphan check counts exactly these nodes.
 */
export const FIREWALL_SELECTOR_LABEL = 'rancher-firewall';

/**
 * Maps a raw cluster id to a valid Hetzner label value. Valid ids are returned unchanged; anything else is
 * sanitised and suffixed with a hash of the raw id, so two different raw ids never share a value by sanitising
 * alone (`a/b` and `a:b` differ). Deterministic and pure.
 */
export function clusterIdLabelValue(clusterId: string): string {
  if (LABEL_VALUE_PATTERN.test(clusterId)) return clusterId;
  const hash = createHash('sha256').update(clusterId, 'utf8').digest('hex').slice(0, HASH_CHARS);
  const sanitised = clusterId
    .replace(/[^a-zA-Z0-9._-]+/g, '-')
    .replace(/^[^a-zA-Z0-9]+/, '')
    .replace(/[^a-zA-Z0-9]+$/, '');
  const room = MAX_LABEL_VALUE - HASH_CHARS - 1;
  const head = sanitised.slice(0, room).replace(/[^a-zA-Z0-9]+$/, '');
  return head ? `${head}-${hash}` : hash;
}

/** `k=v,k2=v2` with keys sorted, for `label_selector` queries. Values must already be valid label values. */
export function labelSelector(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

/** Labels that identify the cluster's shared firewall (and, on servers, the cluster's nodes). */
export function clusterLabels(clusterId: string): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [CLUSTER_LABEL]: clusterIdLabelValue(clusterId) };
}

/** True when the labels prove the driver made this firewall for this cluster: the only firewall it may touch. */
export function isClusterFirewall(
  labels: Readonly<Record<string, string>> | undefined | null,
  clusterId: string,
): boolean {
  return (
    !!labels &&
    labels[MANAGED_BY_LABEL] === MANAGED_BY_VALUE &&
    labels[CLUSTER_LABEL] === clusterIdLabelValue(clusterId)
  );
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
  if (l[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE) owner = 'not made by this driver';
  else if (l[CLUSTER_LABEL]) owner = `made by this driver for cluster ${l[CLUSTER_LABEL]}`;
  else owner = 'made by this driver for no cluster';
  return `labels ${shown.join(', ')} (${owner})`;
}

/** The default shared-firewall name when firewall-name is not given (names are unique per project, ≤ 128). */
export function defaultFirewallName(clusterId: string): string {
  return `rancher-${clusterIdLabelValue(clusterId)}`;
}

/**
 * Evaluates a Hetzner label selector (`k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`, joined by
 * commas as AND) against a label set. Used to count which label-selector firewalls would reach a new server.
 * `k!=v` and `notin` match servers without `k` (Kubernetes semantics), which over-counts rather than under-counts.
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
