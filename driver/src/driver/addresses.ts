// Which address rancher-machine gets for a server: the private one when asked for, else public IPv4, else the
// first host (::1) of the server's public IPv6 /64 (Hetzner assigns a network, not an address).

/** `2001:db8:1:2::/64` → `2001:db8:1:2::1`. */
export function firstHostOf(ipv6Network: string): string {
  const [addr = '', lenText] = ipv6Network.split('/');
  const prefixLen = lenText === undefined ? 64 : Number(lenText);
  const groups = expandIpv6(addr);
  if (!groups || !Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > 127) {
    throw new Error(`not an IPv6 network: ${ipv6Network}`);
  }
  // Clear the host bits, then set the lowest one.
  const bits = groups.map((g) => g.toString(2).padStart(16, '0')).join('');
  const network = `${bits.slice(0, prefixLen).padEnd(127, '0')}1`;
  const out: number[] = [];
  for (let i = 0; i < 8; i++) out.push(Number.parseInt(network.slice(i * 16, i * 16 + 16), 2));
  return compressIpv6(out);
}

function expandIpv6(addr: string): number[] | null {
  if (!/^[0-9a-fA-F:]+$/.test(addr)) return null;
  const halves = addr.split('::');
  if (halves.length > 2) return null;
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)));
  const head = parse(halves[0] ?? '');
  const tail = halves.length === 2 ? parse(halves[1] ?? '') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return null;
  return groups;
}

/** RFC 5952: lowercase, longest run (≥2) of zero groups as `::`. */
function compressIpv6(groups: number[]): string {
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
