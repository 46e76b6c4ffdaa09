// Reverse DNS template checks: the template is rendered with sample values shaped like Rancher's machine names
// (`<cluster>-<pool>-<hash>-<suffix>`) and the result must be a host name a PTR record accepts — the rules the
// driver enforces before it creates a server.

export const RDNS_PLACEHOLDERS = ['machine', 'cluster', 'pool'] as const;
export type RdnsValues = Record<(typeof RDNS_PLACEHOLDERS)[number], string>;

export interface RdnsProblem {
  key: string;
  args?: Record<string, string | number>;
}

/** Sample values for the preview: a machine name as Rancher would make it for this cluster and pool. */
export function rdnsSample(clusterId: string, pool: string): RdnsValues {
  const cluster = clusterId.trim();
  const p = pool.trim() || 'pool1';

  return {
    cluster, pool: p, machine: [cluster || 'cluster', p, '7f9c4b8d5', 'x2k4q'].join('-')
  };
}

const PLACEHOLDER_RE = /\{\{\s*([^{}]*?)\s*\}\}/g;

export function renderRdns(template: string, values: RdnsValues): { name: string } | { problem: RdnsProblem } {
  const unknown: string[] = [];
  let needsCluster = false;
  const name = template.trim().replace(PLACEHOLDER_RE, (_m, key: string) => {
    if (!(RDNS_PLACEHOLDERS as readonly string[]).includes(key)) {
      unknown.push(`{{ ${ key } }}`);

      return '';
    }
    const v = values[key as keyof RdnsValues];

    if (key === 'cluster' && !v) needsCluster = true;

    return v.toLowerCase();
  });

  if (unknown.length) return { problem: { key: 'rdns.unknownPlaceholder', args: { names: unknown.join(', ') } } };
  if (needsCluster) return { problem: { key: 'rdns.noCluster' } };
  if (name.includes('{') || name.includes('}')) return { problem: { key: 'rdns.brace' } };
  const bad = hostnameProblem(name);

  return bad ? { problem: { key: bad.key, args: { ...bad.args, name } } } : { name };
}

/** A fully qualified host name: 2+ labels of letters, digits and inner hyphens, ≤ 63 each, ≤ 253 in all. */
export function hostnameProblem(name: string): RdnsProblem | undefined {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;

  if (!n) return { key: 'rdns.empty' };
  if (n.length > 253) return { key: 'rdns.tooLong', args: { length: n.length } };
  const labels = n.split('.');

  if (labels.length < 2) return { key: 'rdns.notFqdn' };
  for (const l of labels) {
    if (!l) return { key: 'rdns.emptyLabel' };
    if (l.length > 63) return { key: 'rdns.labelLength', args: { label: l, length: l.length } };
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i.test(l)) return { key: 'rdns.labelChars', args: { label: l } };
  }
  if (/^\d+$/.test(labels[labels.length - 1]!)) return { key: 'rdns.numericTld' };

  return undefined;
}
