// Private networks with a chosen subnet or a fixed IP: `hetzner-networks` entries `<network>:<ip-range>` and
// `<network>:<ip>`. POST /servers takes network IDs only, so such networks are attached after the server is made
// (while it is still off, so the interface is there at first boot) with attach_to_network's `ip_range` / `ip`.
import type { HcloudClient, Network, NetworkSubnet, Server } from '../hcloud';
import { formatIpv4, parseIpv4, parseIpv4Cidr, rangeContains, rangeWithin } from '../ip';
import type { Logger } from '../log';
import { FLAG } from './flags';

/** One `hetzner-networks` entry: the network's ID or name, and optionally where in it the server goes. */
export interface NetworkEntry {
  /** The ID or name part, looked up as before. */
  ref: string;
  /** A subnet of the network (canonical CIDR) the server's IP is picked from. */
  ipRange?: string;
  /** A fixed private IP. */
  ip?: string;
}

/** A resolved pinned entry: what Create passes to attach_to_network. */
export interface NetworkAttachment {
  networkId: number;
  networkName: string;
  ipRange?: string;
  ip?: string;
}

/**
 * Splits the entries at their last ':' (network names cannot hold one; private networks are IPv4 only). An entry
 * whose suffix is neither an IPv4 CIDR nor an IPv4 address yields a problem and no pin; its ref is still looked up.
 */
export function parseNetworkEntries(values: readonly string[]): { entries: NetworkEntry[]; problems: string[] } {
  const entries: NetworkEntry[] = [];
  const problems: string[] = [];
  for (const raw of values) {
    const v = raw.trim();
    const at = v.lastIndexOf(':');
    if (at < 0) {
      entries.push({ ref: v });
      continue;
    }
    const ref = v.slice(0, at).trim();
    const where = v.slice(at + 1).trim();
    entries.push({ ref });
    if (ref === '') {
      problems.push(`"${v}" names no network before the ":": write <network>:<ip-range> or <network>:<ip>`);
      continue;
    }
    if (where.includes('/')) {
      const r = parseIpv4Cidr(where);
      if (!r) {
        problems.push(
          `"${where}" in "${v}" is not an IPv4 subnet in CIDR notation with its host bits clear (e.g. 10.0.1.0/24)`,
        );
      } else {
        entries[entries.length - 1] = { ref, ipRange: `${formatIpv4(r.base)}/${r.prefix}` };
      }
    } else {
      const ip = parseIpv4(where);
      if (ip === null) {
        problems.push(`"${where}" in "${v}" is not an IPv4 address (e.g. 10.0.1.10) or subnet (e.g. 10.0.1.0/24)`);
      } else {
        entries[entries.length - 1] = { ref, ip: formatIpv4(ip) };
      }
    }
  }
  const pinned = new Map<string, number>();
  for (const e of entries) pinned.set(e.ref, (pinned.get(e.ref) ?? 0) + 1);
  for (const [ref, n] of pinned) {
    if (n > 1) problems.push(`network "${ref}" is listed ${n} times: a server attaches to each network once`);
  }
  return { entries, problems };
}

/**
 * Checks each pinned entry against its network (looked up already; undefined/null entries were reported by the
 * caller): the range lies inside the network and one of its subnets in the location's zone; the IP lies in such
 * a subnet, is not a reserved address, and no other server holds it. `ours` tells a server of this machine from an
 * earlier attempt, which Create deletes before it makes the new one, so its addresses count as free.
 */
export async function checkNetworkPins(input: {
  client: HcloudClient;
  entries: readonly NetworkEntry[];
  networks: ReadonlyArray<Network | null | undefined>;
  networkZone: string | undefined;
  ours: (srv: Server) => boolean;
  error: (flag: string, message: string) => void;
}): Promise<NetworkAttachment[]> {
  const out: NetworkAttachment[] = [];
  const ipChecks: Array<{ net: Network; ip: number; text: string }> = [];
  input.entries.forEach((e, i) => {
    const net = input.networks[i];
    if (!net || (!e.ip && !e.ipRange)) return;
    const netRange = parseIpv4Cidr(net.ip_range);
    const subnets = net.subnets.filter((s) => s.type !== 'vswitch');
    const inZone = (s: NetworkSubnet) => !input.networkZone || s.network_zone === input.networkZone;
    const fail = (message: string) => input.error(FLAG.networks, message);
    if (e.ipRange) {
      const want = parseIpv4Cidr(e.ipRange)!;
      if (netRange && !rangeWithin(want, netRange)) {
        fail(`${e.ipRange} is outside network "${net.name}" (${net.ip_range}): pick a subnet of ${net.ip_range}`);
        return;
      }
      const holder = subnets.find((s) => {
        const r = parseIpv4Cidr(s.ip_range);
        return r !== null && rangeWithin(want, r);
      });
      if (!holder) {
        fail(
          `network "${net.name}" has no subnet covering ${e.ipRange} (its subnets: ${describeSubnets(subnets)}): ` +
            'add that subnet to the network first',
        );
        return;
      }
      if (!inZone(holder)) {
        fail(
          `subnet ${holder.ip_range} of network "${net.name}" is in network zone ${holder.network_zone}, but the ` +
            `server's location is in ${input.networkZone}: choose a subnet in ${input.networkZone}`,
        );
        return;
      }
      out.push({ networkId: net.id, networkName: net.name, ipRange: e.ipRange });
      return;
    }
    const ip = parseIpv4(e.ip!)!;
    if (netRange && !rangeContains(netRange, ip)) {
      fail(`${e.ip} is outside network "${net.name}" (${net.ip_range}): pick an IP inside it`);
      return;
    }
    const holder = subnets.find((s) => {
      const r = parseIpv4Cidr(s.ip_range);
      return r !== null && rangeContains(r, ip);
    });
    if (!holder) {
      fail(
        `${e.ip} lies in no subnet of network "${net.name}" (its subnets: ${describeSubnets(subnets)}): pick an IP ` +
          'inside one of them',
      );
      return;
    }
    if (!inZone(holder)) {
      fail(
        `${e.ip} is in subnet ${holder.ip_range} of network "${net.name}", which is in network zone ` +
          `${holder.network_zone}, but the server's location is in ${input.networkZone}`,
      );
      return;
    }
    const r = parseIpv4Cidr(holder.ip_range)!;
    if (ip === r.base || ip === r.base + r.size - 1 || ip === parseIpv4(holder.gateway ?? '')) {
      fail(
        `${e.ip} is reserved in subnet ${holder.ip_range} of network "${net.name}" (network, gateway or broadcast ` +
          'address): pick another IP',
      );
      return;
    }
    ipChecks.push({ net, ip, text: e.ip! });
    out.push({ networkId: net.id, networkName: net.name, ip: e.ip! });
  });
  if (ipChecks.length > 0) {
    // One listing answers "is it free" for every fixed IP; only asked when a fixed IP is configured.
    const servers = await input.client.servers.list();
    for (const c of ipChecks) {
      const taker = servers.find(
        (srv) =>
          !input.ours(srv) &&
          srv.private_net.some((p) => p.network === c.net.id && (p.ip === c.text || p.alias_ips.includes(c.text))),
      );
      if (taker) {
        input.error(
          FLAG.networks,
          `${c.text} in network "${c.net.name}" is already used by server ${taker.name} (id ${taker.id}): a fixed ` +
            'IP fits a pool of one machine only; for a larger pool give a subnet (<network>:<ip-range>), or free the IP',
        );
      }
    }
  }
  return out;
}

function describeSubnets(subnets: readonly NetworkSubnet[]): string {
  return subnets.length > 0 ? subnets.map((s) => s.ip_range).join(', ') : 'none';
}

/** The network IDs POST /servers gets: the ones without a pin (the pinned are attached afterwards). */
export function createNetworkIds(networkIds: readonly number[], attachments: readonly NetworkAttachment[]): number[] {
  const pinned = new Set(attachments.map((a) => a.networkId));
  return networkIds.filter((id) => !pinned.has(id));
}

/** Attaches the pinned networks one by one (each locks the server) and waits for every action. */
export async function attachPinnedNetworks(
  client: HcloudClient,
  serverId: number,
  attachments: readonly NetworkAttachment[],
  opts: { timeoutMs: number; logger: Logger },
): Promise<void> {
  for (const a of attachments) {
    const where = a.ip ? `with IP ${a.ip}` : `in subnet ${a.ipRange}`;
    opts.logger.info(`Attaching server ${serverId} to network ${a.networkName} ${where}…`);
    try {
      const action = await client.servers.attachToNetwork(
        serverId,
        { network: a.networkId, ...(a.ip ? { ip: a.ip } : { ip_range: a.ipRange! }) },
        { retryLocked: true },
      );
      await client.actions.waitFor([action], { timeoutMs: opts.timeoutMs });
    } catch (e) {
      throw new Error(
        `attaching the server to network "${a.networkName}" ${where} failed: ${(e as Error).message}` +
          (a.ip ? ' (was the IP taken meanwhile, e.g. by a second machine of the same pool?)' : ''),
        { cause: e },
      );
    }
  }
}
