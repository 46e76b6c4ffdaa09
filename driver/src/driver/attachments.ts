// Existing primary IPs (by address, name or ID) and volumes (by name or ID) given to the server at create, as the
// Go driver's --hetzner-primary-ipv4/-ipv6 and --hetzner-volumes do. They belong to the user: Remove never deletes
// them, and a primary IP set to auto-delete is switched to keep, or deleting the server would take it along.
import {
  type HcloudClient,
  isUnassigned,
  type PrimaryIp,
  type Server,
  type ServerCreateRequest,
  type Volume,
} from '../hcloud';
import type { Logger } from '../log';
import { parseHexIPv6 } from './addresses';
import { FLAG, type FlagSettings } from './flags';
import { belongsTo } from './labels';
import { byIdOrName } from './resolve';
import type { Problems } from './validate';

export interface Attachments {
  ipv4: PrimaryIp | null;
  ipv6: PrimaryIp | null;
  volumes: Volume[];
  /** Primary IPs and volumes live in one location; the server must be created there. */
  pinnedLocation: string | null;
}

export const NO_ATTACHMENTS: Attachments = { ipv4: null, ipv6: null, volumes: [], pinnedLocation: null };

async function findPrimaryIp(client: HcloudClient, ref: string): Promise<PrimaryIp | null> {
  if (/^\d+$/.test(ref)) {
    const byId = await client.primaryIps.get(Number(ref));
    if (byId) return byId;
  }
  // An address contains "." or ":", which names may not start with… but may contain, so try both.
  if (ref.includes('.') || ref.includes(':')) {
    const byIp = await client.primaryIps.getByIp(ref.split('/')[0]!);
    if (byIp) return byIp;
    // IPv6 primary IPs are /64 networks: match an address inside by its network part.
    if (ref.includes(':')) {
      const all = await client.primaryIps.list();
      const hit = all.find((p) => p.type === 'ipv6' && sameV6Network(p.ip, ref));
      if (hit) return hit;
    }
  }
  return client.primaryIps.getByName(ref);
}

/** The /64 network part of an IPv6 address or network (hex-and-colon notation only), or null. */
function v6NetworkPart(text: string): number[] | null {
  return parseHexIPv6(text.split('/')[0]!)?.slice(0, 4) ?? null;
}

function sameV6Network(network: string, addr: string): boolean {
  const a = v6NetworkPart(network);
  const b = v6NetworkPart(addr);
  return !!a && !!b && a.join(':') === b.join(':');
}

/**
 * Resolves the flags to resources and checks each can be attached: right family, free (or held by this machine's
 * own leftover server, which Create deletes first), and all in one location.
 */
export async function planAttachments(
  client: HcloudClient,
  s: FlagSettings,
  machineName: string,
  { error, warn }: Problems,
): Promise<Attachments> {
  // Held by this machine's own server from an earlier failed attempt: Create deletes that server first.
  const leftovers = new Map<number, Promise<boolean>>();
  const isLeftover = (id: number) => {
    if (!leftovers.has(id)) {
      leftovers.set(
        id,
        client.servers
          .get(id)
          .then(
            (srv: Server | null) =>
              !!srv && srv.name === machineName && belongsTo(srv.labels, machineName, s.clusterId),
          ),
      );
    }
    return leftovers.get(id)!;
  };
  const free = async (assignee: number | null) => assignee === null || (await isLeftover(assignee));

  const ip = async (flag: string, ref: string, family: 'ipv4' | 'ipv6', disabled: boolean) => {
    if (!ref) return null;
    if (disabled) {
      error(
        flag,
        `a primary ${family} was given but --${family === 'ipv4' ? FLAG.disablePublicIpv4 : FLAG.disablePublicIpv6} is set: drop one of them`,
      );
      return null;
    }
    const p = await findPrimaryIp(client, ref);
    if (!p) {
      error(flag, `primary IP "${ref}" does not exist in this project: give its address, name or ID`);
      return null;
    }
    if (p.type !== family) {
      error(
        flag,
        `primary IP ${p.name} (${p.ip}) is an ${p.type} address: give it to --${p.type === 'ipv4' ? FLAG.primaryIpv4 : FLAG.primaryIpv6}`,
      );
      return null;
    }
    // Only an IP held by a server can be held by this machine's leftover; `assignee_id` of another type names
    // something else (IDs are unique per resource type only).
    const usable = isUnassigned(p) || (p.assignee_type === 'server' && (await free(p.assignee_id)));
    if (!usable) {
      error(
        flag,
        `primary IP ${p.name} (${p.ip}) is assigned to ${p.assignee_type.replace(/_/g, ' ')} ${p.assignee_id}: ` +
          'unassign it first or choose another',
      );
      return null;
    }
    if (p.auto_delete) {
      warn(
        flag,
        `primary IP ${p.name} is set to auto-delete with its server; Create switches that off so Remove keeps it`,
      );
    }
    return p;
  };

  const [ipv4, ipv6, volumes] = await Promise.all([
    ip(FLAG.primaryIpv4, s.primaryIpv4, 'ipv4', s.disablePublicIpv4),
    ip(FLAG.primaryIpv6, s.primaryIpv6, 'ipv6', s.disablePublicIpv6),
    Promise.all(s.volumes.map(async (ref) => ({ ref, v: await byIdOrName(client.volumes, ref) }))),
  ]);
  const found: Volume[] = [];
  for (const { ref, v } of volumes) {
    if (!v) {
      error(FLAG.volumes, `volume "${ref}" does not exist in this project: check its name or ID`);
    } else if (!(await free(v.server))) {
      error(FLAG.volumes, `volume ${v.name} is attached to server ${v.server}: detach it first or choose another`);
    } else if (!found.some((x) => x.id === v.id)) {
      found.push(v);
    }
  }

  const places = new Map<string, string>();
  if (ipv4) places.set(`primary IP ${ipv4.ip}`, ipv4.location.name);
  if (ipv6) places.set(`primary IP ${ipv6.ip}`, ipv6.location.name);
  for (const v of found) places.set(`volume ${v.name}`, v.location.name);
  const locations = new Set(places.values());
  if (locations.size > 1) {
    error(
      FLAG.location,
      `the primary IPs and volumes are in different locations (${[...places].map(([k, l]) => `${k}: ${l}`).join(', ')}); ` +
        'a server can only use those of its own location',
    );
  }
  return { ipv4, ipv6, volumes: found, pinnedLocation: locations.size === 1 ? [...locations][0]! : null };
}

/** Puts the attachments into the create request. */
export function applyAttachments(body: ServerCreateRequest, a: Attachments): void {
  if (a.ipv4 || a.ipv6) {
    const net = body.public_net ?? { enable_ipv4: true, enable_ipv6: true };
    if (a.ipv4) net.ipv4 = a.ipv4.id;
    if (a.ipv6) net.ipv6 = a.ipv6.id;
    body.public_net = net;
  }
  if (a.volumes.length > 0) body.volumes = a.volumes.map((v) => v.id);
}

/** Primary IPs set to auto-delete would die with the server; the user gave them to keep. */
export async function keepPrimaryIps(client: HcloudClient, logger: Logger, a: Attachments): Promise<void> {
  for (const p of [a.ipv4, a.ipv6]) {
    if (!p?.auto_delete) continue;
    await client.primaryIps.update(p.id, { auto_delete: false });
    logger.info(`Turned off auto-delete of primary IP ${p.name} (${p.ip}) so that removing the machine keeps it`);
  }
}
