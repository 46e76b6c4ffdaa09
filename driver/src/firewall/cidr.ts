// CIDR canonicalisation. Hetzner stores IPv6 in RFC 5952 form and masks nothing for us, so rules are compared and
// written in one canonical spelling: host bits cleared, IPv6 lower-case with the longest zero run compressed. The UI
// extension checks firewall sources with canonicalCidr too, so this module stays pure (it is bundled for the browser).
import { formatIpv6, ipv4Octets, maskGroups, parseIpv4, parseIpv6 } from '../ip';

/** A node's address contributes its IPv4 as /32 and its IPv6 network as /64 (Hetzner gives each server a /64). */
export const IPV4_NODE_PREFIX = 32;
export const IPV6_NODE_PREFIX = 64;

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
  const v4 = parseIpv4(addr);
  if (v4 !== null) {
    const prefix = prefixText !== undefined ? Number(prefixText) : (defaultPrefix ?? 32);
    if (prefix > 32) return null;
    const masked = maskGroups(ipv4Octets(v4), prefix, 8);
    return { cidr: `${masked.join('.')}/${prefix}`, family: 4 };
  }
  const v6 = parseIpv6(addr);
  if (v6) {
    const prefix = prefixText !== undefined ? Number(prefixText) : (defaultPrefix ?? 128);
    if (prefix > 128) return null;
    return { cidr: `${formatIpv6(maskGroups(v6, prefix, 16))}/${prefix}`, family: 6 };
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
      ? ipv4Octets(parseIpv4(addr)!).map((b) => b.toString(16).padStart(2, '0'))
      : parseIpv6(addr)!.map((g) => g.toString(16).padStart(4, '0'));
  return `${parsed.family}${groups.join('')}/${prefix.padStart(3, '0')}`;
}

/** Canonical, de-duplicated and sorted. */
export function normaliseCidrList(list: readonly string[]): string[] {
  return [...new Set(list.map(canonicalOrSelf))].sort(compareCidrs);
}
