// The driver's label vocabulary: the keys it writes on everything it makes (labels are the state: Remove, Create's
// rollback, the shared firewall and gc find resources by them), Hetzner's rules for keys and values, and the one
// mapping of free text (a cluster id, a machine name) onto a valid value. A leaf every layer uses, so the firewall
// and the driver cannot drift apart. The UI extension checks labels with a copy of these rules
// (extension/pkg/hetzner-node-driver/lib/labels.ts), held to them by scripts/test/extension-copies.test.ts; the
// mock API validates with its own patterns on purpose (it plays the API, independent of this client).
import { createHash } from 'node:crypto';

export const MANAGED_BY_KEY = 'managed-by';
export const MANAGED_BY_VALUE = 'rancher-machine';
export const CLUSTER_KEY = 'cluster';
export const MACHINE_KEY = 'machine';
/**
 * Carried only by `create-firewall` nodes: the shared firewall is applied through a label selector on this key,
 * so nodes without create-firewall never receive the firewall, and the orphan check counts exactly these nodes.
 */
export const FIREWALL_SELECTOR_KEY = 'rancher-firewall';
/** The marker that says "the driver made this placement group and may delete it"; user-made groups never carry it. */
export const AUTO_PLACEMENT_KEY = 'auto-placement';
/**
 * The machine pool: on spread placement groups the driver makes, and, set by the user in `hetzner-server-labels`,
 * the pool's name for reverse DNS when the machine name does not show it. Not reserved: it is the user's to set.
 */
export const POOL_KEY = 'pool';

/**
 * Every key the driver writes for its own bookkeeping. Ownership, firewall membership and clean-up are decided by
 * these labels, so a user label (`hetzner-server-labels`) may not set any of them: otherwise a server could claim
 * another machine's or cluster's identity, or pull itself under a cluster's firewall selector.
 */
export const RESERVED_KEYS: ReadonlySet<string> = new Set([
  MANAGED_BY_KEY,
  MACHINE_KEY,
  CLUSTER_KEY,
  FIREWALL_SELECTOR_KEY,
  AUTO_PLACEMENT_KEY,
]);

/** Hetzner's label value pattern: empty, or ≤ 63 chars of `[a-zA-Z0-9._-]` starting and ending alphanumeric. */
export const LABEL_VALUE_PATTERN = /^(|[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9._-]{0,61}[a-zA-Z0-9])$/;
/** A key's name part (after an optional `prefix/`): as a non-empty value. */
const KEY_NAME_PATTERN = /^[a-zA-Z0-9]([a-zA-Z0-9._-]{0,61}[a-zA-Z0-9])?$/;
/** A key's DNS-like prefix: up to 253 chars, starting and ending alphanumeric (the API's pattern). */
const KEY_PREFIX_PATTERN = /^[a-zA-Z0-9]([a-zA-Z0-9._-]{0,251}[a-zA-Z0-9])?$/;

export function isValidLabelValue(v: string): boolean {
  return LABEL_VALUE_PATTERN.test(v);
}

/** A key as the API accepts it from a user: `[prefix/]name`, the `hetzner.cloud` prefix being Hetzner's own. */
export function isValidLabelKey(k: string): boolean {
  const slash = k.indexOf('/');
  if (slash < 0) return KEY_NAME_PATTERN.test(k);
  const prefix = k.slice(0, slash);
  if (prefix === 'hetzner.cloud' || prefix.endsWith('.hetzner.cloud')) return false;
  return KEY_PREFIX_PATTERN.test(prefix) && KEY_NAME_PATTERN.test(k.slice(slash + 1));
}

const MAX_LABEL_VALUE = 63;
const HASH_CHARS = 10;

/**
 * Maps any string (a cluster id, a machine name) to a valid label value. Valid values are returned unchanged, so
 * selectors stay readable; anything else is sanitised and suffixed with a hash of the raw string, so two different
 * strings never share a value by sanitising alone (`a/b` and `a:b` differ). Deterministic and pure: every driver
 * process maps a cluster id to the same value, and every node finds its peers by it.
 */
export function toLabelValue(raw: string): string {
  if (LABEL_VALUE_PATTERN.test(raw)) return raw;
  const hash = createHash('sha256').update(raw, 'utf8').digest('hex').slice(0, HASH_CHARS);
  const sanitised = raw
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
