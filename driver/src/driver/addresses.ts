// Which addresses a machine reports. IPAddress, what rancher-machine and Rancher connect to: the private one when
// asked for, else public IPv4, else the first host (::1) of the server's public IPv6 /64 (Hetzner assigns a
// network, not an address). PrivateIPAddress, the node's internal address for Rancher's planner: the server's IP in
// its private network whenever it has one, so cluster traffic runs there even when Rancher connects publicly.
import { formatIPv6, maskGroups, parseIPv6 } from '../firewall/cidr';

/** An IPv6 address in hex-and-colon notation only, as the API writes them (never with an IPv4 tail), or null. */
export function parseHexIPv6(addr: string): number[] | null {
  return /^[0-9a-fA-F:]+$/.test(addr) ? parseIPv6(addr) : null;
}

/** `2001:db8:1:2::/64` → `2001:db8:1:2::1`. */
export function firstHostOf(ipv6Network: string): string {
  const [addr = '', lenText] = ipv6Network.split('/');
  const prefixLen = lenText === undefined ? 64 : Number(lenText);
  const groups = parseHexIPv6(addr);
  if (!groups || !Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > 127) {
    throw new Error(`not an IPv6 network: ${ipv6Network}`);
  }
  // Clear the host bits, then set the lowest one.
  const host = maskGroups(groups, prefixLen, 16);
  host[7] = host[7]! | 1;
  return formatIPv6(host);
}

export interface ServerAddresses {
  public_net?: {
    ipv4?: { ip: string } | null;
    ipv6?: { ip: string } | null;
  } | null;
  private_net?: ReadonlyArray<{ network: number; ip: string }> | null;
}

export interface MachineAddresses {
  /** What GetIP / GetSSHHostname report: the address Rancher connects to (stored as IPAddress). */
  ip: string;
  /** The server's public IPv6 (::1 of its /64), or ''. */
  ipv6: string;
  /**
   * The server's IP in its private network, or '' when it is in none (stored as PrivateIPAddress, the node's
   * internal address for Rancher). Set whether or not `ip` is that same address.
   */
  privateIp: string;
}

/**
 * The server's IP in the first of `networkIds` it has one in (the order of --hetzner-networks), else in any network
 * it is attached to; '' when it has none. The first listed network is the cluster's: give the Hetzner cloud
 * controller manager the same one (HCLOUD_NETWORK), so that it reports the same internal address.
 */
export function privateAddress(server: ServerAddresses, networkIds: readonly number[]): string {
  const privates = (server.private_net ?? []).filter((p) => p.ip);
  const preferred = networkIds.map((id) => privates.find((p) => p.network === id)).find((p) => p !== undefined);
  return (preferred ?? privates[0])?.ip ?? '';
}

/** Picks the addresses per the flags; throws when the server has no address of the requested kind. */
export function machineAddresses(
  server: ServerAddresses,
  opts: { usePrivateNetwork: boolean; networkIds: readonly number[] },
): MachineAddresses {
  const v6net = server.public_net?.ipv6?.ip;
  const ipv6 = v6net ? firstHostOf(v6net) : '';
  const privateIp = privateAddress(server, opts.networkIds);
  if (opts.usePrivateNetwork) {
    if (!privateIp) {
      throw new Error('the server has no private network IP although --hetzner-use-private-network is set');
    }
    return { ip: privateIp, ipv6, privateIp };
  }
  const v4 = server.public_net?.ipv4?.ip;
  if (v4) return { ip: v4, ipv6, privateIp };
  if (ipv6) return { ip: ipv6, ipv6, privateIp };
  throw new Error('the server has neither a public IPv4 nor a public IPv6 address');
}
