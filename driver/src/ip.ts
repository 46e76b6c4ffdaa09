// IP addresses and IPv4 ranges: the one parser the driver's flags (network pins, admin CIDRs), the firewall's rule
// spelling, the machine's addresses and the UI extension's form checks (extension/.../lib/addresses.ts imports it)
// all use. A pure leaf: no flag, no rule, no API, no Node module, since the extension's build bundles it for the
// browser (scripts/test/import-graph.test.ts checks that).

/** An IPv4 range as plain numbers: `base` is the first address, `size` the number of addresses. */
export interface V4Range {
  base: number;
  prefix: number;
  size: number;
}

/**
 * Dotted quad → one unsigned 32-bit number, or null. Leading zeros are refused: some tools read `010` as octal 8,
 * so `010.0.0.1` has no single meaning, and Go (which the API is written in) refuses it too.
 */
export function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return null;
    n = n * 256 + Number(p);
  }
  return n;
}

export function formatIpv4(n: number): string {
  return ipv4Octets(n).join('.');
}

/** The four bytes of an address, most significant first. */
export function ipv4Octets(n: number): number[] {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}

/** `10.0.1.0/24` → its range; null for anything else, including host bits set (`10.0.1.5/24`). */
export function parseIpv4Cidr(text: string): V4Range | null {
  const [addr = '', len, ...rest] = text.split('/');
  if (len === undefined || rest.length > 0 || !/^\d{1,2}$/.test(len)) return null;
  const prefix = Number(len);
  const base = parseIpv4(addr);
  if (base === null || prefix > 32) return null;
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) return null;
  return { base, prefix, size };
}

export function rangeContains(r: V4Range, ip: number): boolean {
  return ip >= r.base && ip < r.base + r.size;
}

export function rangeWithin(inner: V4Range, outer: V4Range): boolean {
  return inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;
}

/** An IPv6 address (with `::` and an optional dotted-quad tail, any letter case) → its 8 16-bit groups, or null. */
export function parseIpv6(text: string): number[] | null {
  let s = text.toLowerCase();
  const tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const v4 = parseIpv4(s.slice(lastColon + 1));
    if (v4 === null) return null;
    tail.push(v4 >>> 16, v4 & 0xffff);
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
export function formatIpv6(groups: readonly number[]): string {
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
export function maskGroups(groups: readonly number[], prefix: number, width: number): number[] {
  return groups.map((g, i) => {
    const keep = Math.max(0, Math.min(width, prefix - i * width));
    const mask = keep === 0 ? 0 : ((0xffff << (width - keep)) & ((1 << width) - 1)) >>> 0;
    return g & mask;
  });
}
