import { validateLabels } from '../labels';
import type { NetworkRecord, PlacementGroupRecord, PrimaryIpRecord, SshKeyRecord } from '../records';
import type { MockState } from '../state';
import {
  ApiError,
  byIdOr404,
  cidrContains,
  cidrWithin,
  formatIpv4,
  invalidInput,
  isoNow,
  notFound,
  parseCidr4,
  parseIpv4,
  sshFingerprint,
} from '../util';
import { checkRoute, checkSubnet } from './networks';

function uniqueness(what: string, field: string): ApiError {
  return new ApiError(409, 'uniqueness_error', `${what} with the same ${field} already exists`, {
    fields: [{ name: field }],
  });
}

function requireName(value: unknown, max = 128): string {
  if (typeof value !== 'string' || value === '') throw invalidInput('name', 'is required');
  if (value.length > max) throw invalidInput('name', `must be at most ${max} characters`);
  return value;
}

/** PUT's `name` (unique among `records`) and `labels`, each changed only when the body has it. */
function renameAndRelabel(
  records: ReadonlyMap<number, { id: number; name: string }>,
  record: { id: number; name: string; labels: Record<string, string> },
  body: Record<string, unknown>,
  what: string,
): void {
  if (body.name !== undefined) {
    const name = requireName(body.name);
    if ([...records.values()].some((r) => r.name === name && r.id !== record.id)) throw uniqueness(what, 'name');
    record.name = name;
  }
  if (body.labels !== undefined) record.labels = validateLabels(body.labels);
}

// ---- SSH keys ------------------------------------------------------------------------------------------------------

export function getSshKey(state: MockState, id: number): SshKeyRecord {
  return byIdOr404(state.sshKeys, id, 'SSH key');
}

export function createSshKey(state: MockState, body: Record<string, unknown>) {
  const name = requireName(body.name);
  if (typeof body.public_key !== 'string' || body.public_key === '') throw invalidInput('public_key', 'is required');
  const fingerprint = sshFingerprint(body.public_key);
  if (!fingerprint) throw invalidInput('public_key', 'is not a valid OpenSSH public key');
  const labels = validateLabels(body.labels);
  for (const k of state.sshKeys.values()) {
    if (k.name === name) throw uniqueness('SSH key', 'name');
    if (k.fingerprint === fingerprint) throw uniqueness('SSH key', 'public_key');
  }
  const key: SshKeyRecord = {
    id: state.nextId(),
    name,
    fingerprint,
    public_key: body.public_key.trim(),
    labels,
    created: isoNow(),
  };
  state.sshKeys.set(key.id, key);
  return { ssh_key: state.sshKeyJson(key) };
}

export function updateSshKey(state: MockState, id: number, body: Record<string, unknown>) {
  const key = getSshKey(state, id);
  renameAndRelabel(state.sshKeys, key, body, 'SSH key');
  return { ssh_key: state.sshKeyJson(key) };
}

// ---- Networks ------------------------------------------------------------------------------------------------------

export function getNetwork(state: MockState, id: number): NetworkRecord {
  return byIdOr404(state.networks, id, 'network');
}

function listField(value: unknown, field: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidInput(field, 'must be an array');
  return value;
}

export function createNetwork(state: MockState, body: Record<string, unknown>) {
  const name = requireName(body.name);
  const range = typeof body.ip_range === 'string' ? parseCidr4(body.ip_range) : null;
  if (!range || range.prefix > 24) throw invalidInput('ip_range', 'must be an IPv4 CIDR of at least /24');
  if ([...state.networks.values()].some((n) => n.name === name)) throw uniqueness('network', 'name');
  // Subnets and routes are checked in order against the ones before them, as add_subnet/add_route would be.
  const draft: Pick<NetworkRecord, 'id' | 'ip_range' | 'subnets' | 'routes'> = {
    id: 0,
    ip_range: `${formatIpv4(range.base)}/${range.prefix}`,
    subnets: [],
    routes: [],
  };
  for (const [i, raw] of listField(body.subnets, 'subnets').entries()) {
    draft.subnets.push(checkSubnet(state, draft, raw, (f) => `subnets[${i}].${f}`));
  }
  for (const [i, raw] of listField(body.routes, 'routes').entries()) {
    draft.routes.push(checkRoute(draft, raw, (f) => `routes[${i}].${f}`));
  }
  const net: NetworkRecord = {
    id: state.nextId(),
    name,
    ip_range: draft.ip_range,
    subnets: draft.subnets,
    routes: draft.routes,
    servers: [],
    load_balancers: [],
    labels: validateLabels(body.labels),
    protection: { delete: false },
    created: isoNow(),
    expose_routes_to_vswitch: body.expose_routes_to_vswitch === true,
  };
  state.networks.set(net.id, net);
  return { network: state.networkJson(net) };
}

export function updateNetwork(state: MockState, id: number, body: Record<string, unknown>) {
  const net = getNetwork(state, id);
  renameAndRelabel(state.networks, net, body, 'network');
  return { network: state.networkJson(net) };
}

/** Deleting a network detaches its servers in the background, as the API documents. */
export function deleteNetwork(state: MockState, id: number): void {
  const net = getNetwork(state, id);
  if (net.protection.delete) throw new ApiError(423, 'protected', 'network is delete protected');
  for (const sid of net.servers) {
    const s = state.servers.get(sid);
    if (s) s.privateNet = s.privateNet.filter((p) => p.network !== id);
  }
  state.networks.delete(id);
}

function usedIps(state: MockState, net: NetworkRecord): Set<number> {
  const used = new Set<number>();
  for (const sid of net.servers) {
    for (const p of state.servers.get(sid)?.privateNet ?? []) {
      if (p.network === net.id) used.add(parseIpv4(p.ip)!);
    }
  }
  return used;
}

/**
 * Picks a private IP for a server: the requested one (must be inside a subnet and free), the first free one in
 * the subnet named by `ipRange`, or the first free one in the first cloud/server subnet.
 */
export function allocatePrivateIp(
  state: MockState,
  net: NetworkRecord,
  opts: { ip?: unknown; ipRange?: unknown },
): string {
  const subnets = net.subnets.filter((s) => s.type !== 'vswitch');
  const used = usedIps(state, net);
  const gateway = parseIpv4(subnets[0]?.gateway ?? '') ?? -1;
  if (opts.ip !== undefined && opts.ip !== null) {
    const ip = typeof opts.ip === 'string' ? parseIpv4(opts.ip) : null;
    if (ip === null) throw invalidInput('ip', 'must be an IPv4 address');
    const inside = subnets.some((s) => cidrContains(parseCidr4(s.ip_range)!, ip));
    if (!inside) throw invalidInput('ip', `IP ${opts.ip} is not inside a subnet of network ${net.id}`);
    if (used.has(ip) || ip === gateway) throw new ApiError(422, 'ip_not_available', `IP ${opts.ip} is not available`);
    return formatIpv4(ip);
  }
  let candidates = subnets;
  if (opts.ipRange !== undefined && opts.ipRange !== null) {
    const want = typeof opts.ipRange === 'string' ? parseCidr4(opts.ipRange) : null;
    if (!want) throw invalidInput('ip_range', 'must be an IPv4 CIDR');
    candidates = subnets.filter((s) => cidrWithin(want, parseCidr4(s.ip_range)!));
    if (candidates.length === 0)
      throw invalidInput('ip_range', `no subnet of network ${net.id} contains ${opts.ipRange}`);
    for (let ip = want.base + 2; ip < want.base + want.size - 1; ip++) {
      if (!used.has(ip) && ip !== gateway) return formatIpv4(ip);
    }
    throw new ApiError(422, 'ip_not_available', `no free IP left in ${opts.ipRange}`);
  }
  if (candidates.length === 0) throw new ApiError(422, 'no_subnet_available', `network ${net.id} has no subnet`);
  for (const s of candidates) {
    const r = parseCidr4(s.ip_range)!;
    // Servers get addresses from .2 on: the subnet's first two are network and reserved/gateway, the last broadcast.
    for (let ip = r.base + 2; ip < r.base + r.size - 1; ip++) {
      if (!used.has(ip) && ip !== gateway) return formatIpv4(ip);
    }
  }
  throw new ApiError(422, 'ip_not_available', `no free IP left in network ${net.id}`);
}

// ---- Placement groups ----------------------------------------------------------------------------------------------

export function getPlacementGroup(state: MockState, id: number): PlacementGroupRecord {
  return byIdOr404(state.placementGroups, id, 'placement group');
}

export function createPlacementGroup(state: MockState, body: Record<string, unknown>) {
  const name = requireName(body.name);
  if (body.type !== 'spread') throw invalidInput('type', "must be 'spread'");
  if ([...state.placementGroups.values()].some((p) => p.name === name)) throw uniqueness('placement group', 'name');
  const pg: PlacementGroupRecord = {
    id: state.nextId(),
    name,
    type: 'spread',
    servers: [],
    labels: validateLabels(body.labels),
    created: isoNow(),
  };
  state.placementGroups.set(pg.id, pg);
  return { placement_group: state.placementGroupJson(pg), action: null };
}

export function updatePlacementGroup(state: MockState, id: number, body: Record<string, unknown>) {
  const pg = getPlacementGroup(state, id);
  renameAndRelabel(state.placementGroups, pg, body, 'placement group');
  return { placement_group: state.placementGroupJson(pg) };
}

export function deletePlacementGroup(state: MockState, id: number): void {
  const pg = getPlacementGroup(state, id);
  if (pg.servers.length > 0) throw new ApiError(422, 'resource_in_use', `placement group ${id} still has servers`);
  state.placementGroups.delete(id);
}

export function checkPlacementCapacity(state: MockState, pg: PlacementGroupRecord): void {
  if (pg.servers.length >= state.limits.serversPerPlacementGroup) {
    throw new ApiError(
      422,
      'placement_error',
      `spread placement group ${pg.id} already has ${pg.servers.length} servers (limit ${state.limits.serversPerPlacementGroup})`,
    );
  }
}

// ---- Primary IPs ---------------------------------------------------------------------------------------------------

export function getPrimaryIp(state: MockState, id: number): PrimaryIpRecord {
  return byIdOr404(state.primaryIps, id, 'primary IP');
}

export function createPrimaryIpFromRequest(state: MockState, body: Record<string, unknown>) {
  const name = requireName(body.name);
  if (body.type !== 'ipv4' && body.type !== 'ipv6') throw invalidInput('type', "must be 'ipv4' or 'ipv6'");
  if (body.assignee_type !== undefined && body.assignee_type !== 'server') {
    throw invalidInput('assignee_type', "must be 'server'");
  }
  if ([...state.primaryIps.values()].some((p) => p.name === name)) throw uniqueness('primary IP', 'name');
  const labels = validateLabels(body.labels);
  let locationId: number;
  let assignee: number | null = null;
  if (body.assignee_id !== undefined && body.assignee_id !== null) {
    const s = state.servers.get(Number(body.assignee_id));
    if (!s) throw notFound(`server with ID ${String(body.assignee_id)}`);
    if (s.status !== 'off') throw new ApiError(422, 'server_not_stopped', `server ${s.id} must be powered off`);
    if ((body.type === 'ipv4' ? s.ipv4 : s.ipv6) !== null) {
      throw new ApiError(422, 'primary_ip_assigned', `server ${s.id} already has a primary ${body.type}`);
    }
    locationId = s.locationId;
    assignee = s.id;
  } else {
    const loc = state.locationByRef(body.location);
    if (!loc) throw invalidInput('location', 'a location or an assignee_id is required');
    locationId = loc.id;
  }
  const rec = state.createPrimaryIp(body.type, locationId, {
    name,
    labels,
    assignee_id: assignee,
    auto_delete: body.auto_delete === true,
  });
  if (assignee !== null) {
    const s = state.servers.get(assignee)!;
    if (rec.type === 'ipv4') s.ipv4 = rec.id;
    else s.ipv6 = rec.id;
  }
  const action =
    assignee === null
      ? null
      : state.actions.start('create_primary_ip', [
          { id: rec.id, type: 'primary_ip' },
          { id: assignee, type: 'server' },
        ]);
  return { primary_ip: state.primaryIpJson(rec), action };
}

export function deletePrimaryIp(state: MockState, id: number): void {
  const p = getPrimaryIp(state, id);
  if (p.assignee_id !== null) {
    throw new ApiError(422, 'primary_ip_assigned', `primary IP ${id} is assigned to server ${p.assignee_id}`);
  }
  state.primaryIps.delete(id);
}

export function updatePrimaryIp(state: MockState, id: number, body: Record<string, unknown>) {
  const p = getPrimaryIp(state, id);
  if (body.name !== undefined) p.name = requireName(body.name);
  if (body.labels !== undefined) p.labels = validateLabels(body.labels);
  if (body.auto_delete !== undefined) p.auto_delete = body.auto_delete === true;
  return { primary_ip: state.primaryIpJson(p) };
}
