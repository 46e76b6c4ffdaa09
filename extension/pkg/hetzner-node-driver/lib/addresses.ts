// IP address and CIDR parsing for the form's checks. These are the driver's own rules, imported rather than copied
// (driver/src/ip.ts, and the firewall's CIDR rule in driver/src/firewall/cidr.ts: pure modules that shell's webpack
// bundles like the package's own files), so the form refuses exactly what the driver refuses. Private networks are
// IPv4 only; firewall sources may be IPv4 or IPv6, as an address or a prefix.
import { canonicalCidr } from '../../../../driver/src/firewall/cidr';
import { parseIpv6 } from '../../../../driver/src/ip';

export {
  formatIpv4, parseIpv4, parseIpv4Cidr, rangeContains, rangeWithin
} from '../../../../driver/src/ip';
export type { V4Range } from '../../../../driver/src/ip';

/** Full IPv6 syntax: eight groups, one `::` for a run of zeros, an optional trailing dotted quad. */
export function isIpv6(text: string): boolean {
  return parseIpv6(text) !== null;
}

/** An IPv4 or IPv6 address, or either with a prefix length (`203.0.113.0/24`, `2001:db8::/32`): a firewall source. */
export function isAddressOrCidr(text: string): boolean {
  return canonicalCidr(text) !== null;
}
