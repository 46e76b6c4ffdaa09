// IP address and CIDR parsing for the form's checks, with the same rules the driver applies (private networks are
// IPv4 only; firewall sources may be IPv4 or IPv6, as an address or a prefix). A copy of the driver's one IP module
// (driver/src/ip.ts; this package is built and linted on its own): scripts/test/extension-copies.test.ts holds the
// two to the same answers, so change both together.

export interface V4Range {
  base: number;
  prefix: number;
  size: number;
}

/** Dotted quad → 32-bit number, or null. Leading zeros are refused: some tools read them as octal. */
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
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
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

  return {
    base, prefix, size
  };
}

export function rangeContains(r: V4Range, ip: number): boolean {
  return ip >= r.base && ip < r.base + r.size;
}

export function rangeWithin(inner: V4Range, outer: V4Range): boolean {
  return inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;
}

/** Full IPv6 syntax: eight groups, one `::` for a run of zeros, an optional trailing dotted quad. */
export function isIpv6(text: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return false;
  const halves = text.split('::');

  if (halves.length > 2) return false;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const all = [...head, ...tail];
  let count = all.length;
  const last = all[all.length - 1];

  if (last?.includes('.')) {
    if (parseIpv4(last) === null) return false;
    all.pop();
    count += 1;
  }
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;

  return halves.length === 2 ? count <= 7 : count === 8;
}

/** An IPv4 or IPv6 address, or either with a prefix length (`203.0.113.0/24`, `2001:db8::/32`). */
export function isAddressOrCidr(text: string): boolean {
  const [addr = '', len, ...rest] = text.trim().split('/');

  if (rest.length > 0) return false;
  const v4 = parseIpv4(addr) !== null;

  if (!v4 && !isIpv6(addr)) return false;
  if (len === undefined) return true;
  if (!/^\d{1,3}$/.test(len)) return false;

  return Number(len) <= (v4 ? 32 : 128);
}
