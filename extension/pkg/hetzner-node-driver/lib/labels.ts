// Hetzner label rules (same as the API's validation): a key is an optional DNS-subdomain prefix plus "/", then a
// 1–63 character name that starts and ends alphanumeric with "-_." allowed inside; values are empty or follow the
// name rule. The "hetzner.cloud/" prefix is reserved for Hetzner, and the driver sets (and finds its resources by)
// the keys managed-by, machine, cluster, rancher-firewall and auto-placement itself (RESERVED_KEYS in
// driver/src/labels.ts). A copy of the driver's rules (this package is built and linted on its own):
// scripts/test/extension-copies.test.ts holds the two to the same answers, so change both together.

const NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9._-]{0,61}[a-zA-Z0-9])?$/;
const PREFIX = /^[a-zA-Z0-9](?:[a-zA-Z0-9._-]{0,251}[a-zA-Z0-9])?$/;

export type LabelProblem = 'keyEmpty' | 'keyInvalid' | 'keyReserved' | 'keyDriver' | 'valueInvalid' | 'keyDuplicate';

const DRIVER_KEYS = new Set(['managed-by', 'machine', 'cluster', 'rancher-firewall', 'auto-placement']);

export interface LabelPair {
  key: string;
  value: string;
}

export function labelKeyProblem(key: string): LabelProblem | undefined {
  if (key === '') return 'keyEmpty';
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;

  if (prefix !== undefined && (!PREFIX.test(prefix) || prefix.length > 253)) return 'keyInvalid';
  if (!NAME.test(name)) return 'keyInvalid';
  if (prefix !== undefined && (prefix === 'hetzner.cloud' || prefix.endsWith('.hetzner.cloud'))) return 'keyReserved';
  if (DRIVER_KEYS.has(key)) return 'keyDriver';

  return undefined;
}

export function labelValueProblem(value: string): LabelProblem | undefined {
  return value === '' || NAME.test(value) ? undefined : 'valueInvalid';
}

/** Problems per row, in row order; `undefined` for a valid row. Duplicate keys are flagged on the later rows. */
export function labelProblems(pairs: LabelPair[]): (LabelProblem | undefined)[] {
  const seen = new Set<string>();

  return pairs.map(({ key, value }) => {
    const p = labelKeyProblem(key) ?? labelValueProblem(value);

    if (p) return p;
    if (seen.has(key)) return 'keyDuplicate';
    seen.add(key);

    return undefined;
  });
}

/** `serverLabels` is a string slice of `key=value`; the first "=" separates key from value. */
export function parseLabels(entries: readonly string[] | null | undefined): LabelPair[] {
  return (entries ?? []).map((e) => {
    const i = e.indexOf('=');

    return i < 0 ? { key: e, value: '' } : { key: e.slice(0, i), value: e.slice(i + 1) };
  });
}

export function serializeLabels(pairs: readonly LabelPair[]): string[] {
  return pairs.map(({ key, value }) => `${ key }=${ value }`);
}
