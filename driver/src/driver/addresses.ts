// Which address rancher-machine gets for a server: the private one when asked for, else public IPv4, else the
// first host (::1) of the server's public IPv6 /64 (Hetzner assigns a network, not an address).
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
  /** What GetIP / GetSSHHostname report. */
  ip: string;
  /** The server's public IPv6 (::1 of its /64), or ''. */
  ipv6: string;
}

/** Picks the addresses per the flags; throws when the server has no address of the requested kind. */
export function machineAddresses(
  server: ServerAddresses,
  opts: { usePrivateNetwork: boolean; networkIds: readonly number[] },
): MachineAddresses {
  const v6net = server.public_net?.ipv6?.ip;
  const ipv6 = v6net ? firstHostOf(v6net) : '';
  if (opts.usePrivateNetwork) {
    const privates = server.private_net ?? [];
    const preferred = opts.networkIds.map((id) => privates.find((p) => p.network === id)).find((p) => p?.ip);
    const chosen = preferred ?? privates.find((p) => p.ip);
    if (!chosen) throw new Error('the server has no private network IP although --hetzner-use-private-network is set');
    return { ip: chosen.ip, ipv6 };
  }
  const v4 = server.public_net?.ipv4?.ip;
  if (v4) return { ip: v4, ipv6 };
  if (ipv6) return { ip: ipv6, ipv6 };
  throw new Error('the server has neither a public IPv4 nor a public IPv6 address');
}
