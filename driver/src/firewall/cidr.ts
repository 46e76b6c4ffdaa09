// CIDR canonicalisation. Hetzner stores IPv6 in RFC 5952 form and masks nothing for us, so rules are compared and
// written in one canonical spelling: host bits cleared, IPv6 lower-case with the longest zero run compressed.

/** A node's address contributes its IPv4 as /32 and its IPv6 network as /64 (Hetzner gives each server a /64). */
export const IPV4_NODE_PREFIX = 32;
export const IPV6_NODE_PREFIX = 64;

/** Dotted-quad IPv4 into its 4 bytes; shared with the driver's address and network-pin parsing. */
export function parseIPv4(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    bytes.push(n);
  }
  return bytes;
}

/** Parses an IPv6 address (with `::` and an optional embedded IPv4 tail) into 8 16-bit groups. */
export function parseIPv6(text: string): number[] | null {
  let s = text.toLowerCase();
  const tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const v4 = parseIPv4(s.slice(lastColon + 1));
    if (!v4) return null;
    tail.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    s = s.slice(0, lastColon + 1);
    // `::ffff:1.2.3.4` leaves `::ffff:`, whose trailing colon belonged to the IPv4 tail; `::1.2.3.4` leaves `::`.
    if (!s.endsWith('::')) s = s.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parseGroups = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-f]{1,4}$/.test(g)) return null;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const head = parseGroups(halves[0]!);
  if (!head) return null;
  if (halves.length === 1) {
    const groups = [...head, ...tail];
    return groups.length === 8 ? groups : null;
  }
  const rest = parseGroups(halves[1]!);
  if (!rest) return null;
  const fill = 8 - head.length - rest.length - tail.length;
  if (fill < 1) return null;
  return [...head, ...new Array<number>(fill).fill(0), ...rest, ...tail];
}

/** RFC 5952: lower case, no leading zeros, the longest run (≥ 2) of zero groups as `::`, leftmost on ties. */
export function formatIPv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Clears the host bits: `prefix` network bits kept across groups of `width` bits (8 for IPv4, 16 for IPv6). */
export function maskGroups(groups: number[], prefix: number, width: number): number[] {
  return groups.map((g, i) => {
    const keep = Math.max(0, Math.min(width, prefix - i * width));
    const mask = keep === 0 ? 0 : ((0xffff << (width - keep)) & ((1 << width) - 1)) >>> 0;
    return g & mask;
  });
}

export type IpFamily = 4 | 6;

/**
 * Canonical CIDR for an address or CIDR; a bare address gets `defaultPrefix` (or the full width). Returns null for
 * anything that is not an IPv4 or IPv6 address/CIDR.
 */
export function canonicalCidr(text: string, defaultPrefix?: number): { cidr: string; family: IpFamily } | null {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const addr = slash < 0 ? trimmed : trimmed.slice(0, slash);
  const prefixText = slash < 0 ? undefined : trimmed.slice(slash + 1);
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null;
  const v4 = parseIPv4(addr);
  if (v4) {
    const prefix = prefixText !== undefined ? Number(prefixText) : (defaultPrefix ?? 32);
    if (prefix > 32) return null;
    const masked = maskGroups(v4, prefix, 8);
    return { cidr: `${masked.join('.')}/${prefix}`, family: 4 };
  }
  const v6 = parseIPv6(addr);
  if (v6) {
    const prefix = prefixText !== undefined ? Number(prefixText) : (defaultPrefix ?? 128);
    if (prefix > 128) return null;
    return { cidr: `${formatIPv6(maskGroups(v6, prefix, 16))}/${prefix}`, family: 6 };
  }
  return null;
}

/** Canonical form for comparison; text that does not parse is kept as is (a foreign rule is not ours to fix). */
export function canonicalOrSelf(text: string): string {
  return canonicalCidr(text)?.cidr ?? text;
}

/** Sort order: IPv4 before IPv6, then numerically by address, then by prefix. */
export function compareCidrs(a: string, b: string): number {
  const ka = sortKey(a);
  const kb = sortKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function sortKey(cidr: string): string {
  const parsed = canonicalCidr(cidr);
  if (!parsed) return `9${cidr}`;
  const [addr, prefix] = parsed.cidr.split('/') as [string, string];
  const groups =
    parsed.family === 4
      ? parseIPv4(addr)!.map((b) => b.toString(16).padStart(2, '0'))
      : parseIPv6(addr)!.map((g) => g.toString(16).padStart(4, '0'));
  return `${parsed.family}${groups.join('')}/${prefix.padStart(3, '0')}`;
}

/** Canonical, de-duplicated and sorted. */
export function normaliseCidrList(list: readonly string[]): string[] {
  return [...new Set(list.map(canonicalOrSelf))].sort(compareCidrs);
}
