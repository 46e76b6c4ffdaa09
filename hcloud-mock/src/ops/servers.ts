import type { Action } from '../actions';
import type { Image, ServerType } from '../catalog';
import { validateLabels } from '../labels';
import type { FirewallRecord, NetworkRecord, ServerRecord, ServerStatus } from '../records';
import type { MockState } from '../state';
import { ApiError, invalidInput, isoNow, isPlainObject, lockedError, notFound } from '../util';
import { applyDirect, forgetServerInFirewalls, scheduleSelectorSync } from './firewalls';
import { allocatePrivateIp, checkPlacementCapacity, getNetwork, getPlacementGroup } from './resources';

const HOSTNAME =
  /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

function validateServerName(state: MockState, name: unknown, selfId?: number): string {
  if (typeof name !== 'string' || name === '') throw invalidInput('name', 'is required');
  if (!HOSTNAME.test(name)) throw invalidInput('name', 'must be a valid hostname (RFC 1123)');
  for (const s of state.servers.values()) {
    if (s.name === name && s.id !== selfId) {
      throw new ApiError(409, 'uniqueness_error', 'server name is already used', { fields: [{ name: 'name' }] });
    }
  }
  return name;
}

function resolveImage(state: MockState, ref: unknown, type: ServerType): Image {
  if (ref === undefined || ref === null || ref === '') throw invalidInput('image', 'is required');
  const all = [...state.images.values()];
  let image = all.find((i) => i.id === Number(ref));
  if (!image && typeof ref === 'string') {
    // By name the API picks the image built for the server type's architecture.
    image = all.find((i) => i.name === ref && i.architecture === type.architecture);
    if (!image && all.some((i) => i.name === ref)) {
      throw invalidInput('image', `image '${ref}' is not available for architecture ${type.architecture}`);
    }
  }
  if (!image) throw notFound(`image ${String(ref)}`);
  if (image.architecture !== type.architecture) {
    throw invalidInput(
      'image',
      `image ${image.id} is built for ${image.architecture} but server type ${type.name} is ${type.architecture}`,
    );
  }
  return image;
}

/** Availability comes from the per-location entries of the server type (reference §1.8). */
function resolveLocation(state: MockState, type: ServerType, ref: unknown) {
  if (ref === undefined || ref === null) {
    const first = type.locations.find((l) => l.available);
    if (!first) throw new ApiError(412, 'resource_unavailable', `server type ${type.name} is not available anywhere`);
    return state.location(first.id);
  }
  const location = state.locationByRef(ref);
  if (!location) throw notFound(`location ${String(ref)}`);
  const entry = type.locations.find((l) => l.id === location.id);
  if (!entry) {
    throw new ApiError(
      412,
      'resource_unavailable',
      `unsupported location for server type: ${type.name} is not offered in location ${location.name}`,
    );
  }
  if (!entry.available) {
    throw new ApiError(
      412,
      'resource_unavailable',
      `server type ${type.name} is currently not available in location ${location.name}`,
    );
  }
  return location;
}

function idList(value: unknown, field: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidInput(field, 'must be an array');
  return value;
}

interface NetworkPlan {
  net: NetworkRecord;
  ip: string;
}

export function createServer(state: MockState, body: Record<string, unknown>) {
  // Everything is validated before anything is changed, so a rejected request leaves no trace.
  const name = validateServerName(state, body.name);
  if (body.server_type === undefined || body.server_type === null || body.server_type === '') {
    throw invalidInput('server_type', 'is required');
  }
  const type = state.serverTypeByRef(body.server_type);
  if (!type) throw notFound(`server type ${String(body.server_type)}`);
  const image = resolveImage(state, body.image, type);
  if (body.datacenter !== undefined) {
    throw invalidInput('datacenter', 'datacenters were removed from the API, use location');
  }
  const location = resolveLocation(state, type, body.location);
  const labels = validateLabels(body.labels);
  let userData: string | null = null;
  if (body.user_data !== undefined && body.user_data !== null) {
    if (typeof body.user_data !== 'string') throw invalidInput('user_data', 'must be a string');
    if (Buffer.byteLength(body.user_data) > state.limits.userDataBytes) {
      throw invalidInput('user_data', `is too long (at most ${state.limits.userDataBytes} bytes)`);
    }
    userData = body.user_data;
  }
  const sshKeys = idList(body.ssh_keys, 'ssh_keys').map((ref) => {
    const key = [...state.sshKeys.values()].find((k) => k.id === Number(ref) || k.name === ref);
    if (!key) throw notFound(`SSH key ${String(ref)}`);
    return key;
  });
  const startAfterCreate = body.start_after_create !== false;

  const publicNet = isPlainObject(body.public_net) ? body.public_net : {};
  const enable4 = publicNet.enable_ipv4 !== false;
  const enable6 = publicNet.enable_ipv6 !== false;
  const primary = (family: 'ipv4' | 'ipv6', enabled: boolean) => {
    const ref = publicNet[family];
    if (ref === undefined || ref === null) return null;
    if (!enabled) throw invalidInput(`public_net.${family}`, `is set although enable_${family} is false`);
    const p = state.primaryIps.get(Number(ref));
    if (!p) throw notFound(`primary IP ${String(ref)}`);
    if (p.type !== family) {
      throw new ApiError(422, 'primary_ip_version_mismatch', `primary IP ${p.id} is ${p.type}, expected ${family}`);
    }
    if (p.assignee_id !== null) {
      throw new ApiError(
        422,
        'primary_ip_assigned',
        `primary IP ${p.id} is already assigned to server ${p.assignee_id}`,
      );
    }
    if (p.locationId !== location.id) {
      throw new ApiError(
        422,
        'primary_ip_datacenter_mismatch',
        `primary IP ${p.id} is in ${state.location(p.locationId).name}, the server in ${location.name}`,
      );
    }
    return p;
  };
  const given4 = primary('ipv4', enable4);
  const given6 = primary('ipv6', enable6);

  const networkIds = idList(body.networks, 'networks').map(Number);
  if (!enable4 && !enable6 && networkIds.length === 0) {
    throw invalidInput('networks', 'a server without public IPs must be attached to a network');
  }
  const planned: NetworkPlan[] = [];
  for (const nid of networkIds) {
    const net = getNetwork(state, nid);
    planned.push({ net, ip: allocatePrivateIp(state, net, {}) });
  }

  const volumes = idList(body.volumes, 'volumes').map((ref) => {
    const v = state.volumes.get(Number(ref));
    if (!v) throw notFound(`volume ${String(ref)}`);
    if (v.server !== null) throw invalidInput('volumes', `volume ${v.id} is already attached to server ${v.server}`);
    if (v.locationId !== location.id) {
      throw invalidInput('volumes', `volume ${v.id} is in ${state.location(v.locationId).name}, not ${location.name}`);
    }
    return v;
  });

  const firewalls: FirewallRecord[] = idList(body.firewalls, 'firewalls').map((entry, i) => {
    const fid = isPlainObject(entry) ? Number(entry.firewall) : Number.NaN;
    if (!Number.isSafeInteger(fid)) throw invalidInput('firewalls', `entry ${i} must be {"firewall": <id>}`);
    const fw = state.firewalls.get(fid);
    if (!fw) throw notFound(`firewall with ID ${fid}`);
    return fw;
  });
  if (firewalls.length > 0 && !enable4 && !enable6) {
    throw new ApiError(
      422,
      'private_net_only_server',
      'firewalls can only be applied to servers with a public interface',
    );
  }
  if (firewalls.length > state.limits.firewallsPerServer) {
    const { status, code } = state.limits.firewallLimitError;
    throw new ApiError(status, code, `a server can have at most ${state.limits.firewallsPerServer} firewalls`, {
      limits: [{ name: 'firewalls_per_server' }],
    });
  }

  let placementGroup: ReturnType<typeof getPlacementGroup> | null = null;
  if (body.placement_group !== undefined && body.placement_group !== null) {
    placementGroup = getPlacementGroup(state, Number(body.placement_group));
    checkPlacementCapacity(state, placementGroup);
  }

  // ---- commit ----
  const id = state.nextId();
  const v4 = given4 ?? (enable4 ? state.createPrimaryIp('ipv4', location.id, { auto_delete: true }) : null);
  const v6 = given6 ?? (enable6 ? state.createPrimaryIp('ipv6', location.id, { auto_delete: true }) : null);
  if (v4) v4.assignee_id = id;
  if (v6) v6.assignee_id = id;
  const server: ServerRecord = {
    id,
    name,
    status: 'initializing',
    created: isoNow(),
    serverTypeId: type.id,
    locationId: location.id,
    imageId: image.id,
    labels,
    ipv4: v4?.id ?? null,
    ipv6: v6?.id ?? null,
    firewalls: [],
    privateNet: [],
    placementGroupId: placementGroup?.id ?? null,
    volumes: volumes.map((v) => v.id),
    protection: { delete: false, rebuild: false },
    userData,
  };
  state.servers.set(id, server);
  for (const v of volumes) v.server = id;
  placementGroup?.servers.push(id);
  for (const { net, ip } of planned) {
    server.privateNet.push({ network: net.id, ip, alias_ips: [], mac_address: state.macAddress() });
    net.servers.push(id);
  }

  const lock = [`server:${id}`];
  const res = [{ id, type: 'server' }];
  const action = state.actions.start('create_server', res, {
    locks: lock,
    onSuccess: () => setStatus(state, id, startAfterCreate ? 'starting' : 'off'),
    onError: () => setStatus(state, id, 'off'),
  });
  const next: Action[] = [];
  if (startAfterCreate) {
    next.push(
      state.actions.start('start_server', res, {
        locks: lock,
        after: action,
        onSuccess: () => setStatus(state, id, 'running'),
      }),
    );
  }
  const attach = (command: string, type: string, resourceId: number) =>
    state.actions.start(
      command,
      [
        { id, type: 'server' },
        { id: resourceId, type },
      ],
      { locks: lock, after: action },
    );
  for (const { net } of planned) next.push(attach('attach_to_network', 'network', net.id));
  for (const v of volumes) next.push(attach('attach_volume', 'volume', v.id));
  for (const fw of firewalls) {
    const a = applyDirect(state, fw, server);
    if (a) next.push(a);
  }
  scheduleSelectorSync(state, id);

  return {
    server: state.serverJson(server),
    action,
    next_actions: next,
    root_password: sshKeys.length === 0 ? rootPassword(state) : null,
  };
}

function rootPassword(state: MockState): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  let out = '';
  for (let i = 0; i < 20; i++) out += alphabet[Math.floor(state.random() * alphabet.length)];
  return out;
}

/** A finished action's status change, unless the server is being deleted meanwhile. */
export function setStatus(state: MockState, id: number, status: ServerStatus): void {
  const s = state.servers.get(id);
  if (s && s.status !== 'deleting') s.status = status;
}

export function updateServer(state: MockState, id: number, body: Record<string, unknown>) {
  const s = state.server(id);
  const name = body.name === undefined ? s.name : validateServerName(state, body.name, id);
  const labels = body.labels === undefined ? s.labels : validateLabels(body.labels);
  s.name = name;
  if (body.labels !== undefined) {
    s.labels = labels;
    scheduleSelectorSync(state, id);
  }
  return { server: state.serverJson(s) };
}

export function deleteServer(state: MockState, id: number) {
  const s = state.server(id);
  if (s.protection.delete) throw new ApiError(423, 'protected', `server ${id} is delete protected`);
  // The API refuses deletes while e.g. a poweroff runs (jenkinsci/hetzner-cloud-plugin#92): callers must wait.
  if (state.actions.isLocked(`server:${id}`)) throw lockedError('server');
  const previous = s.status;
  s.status = 'deleting';
  const action = state.actions.start('delete_server', [{ id, type: 'server' }], {
    locks: [`server:${id}`],
    onSuccess: () => removeServerNow(state, id),
    onError: () => {
      const cur = state.servers.get(id);
      if (cur) cur.status = previous;
    },
  });
  return { action };
}

/** Detaches everything the API detaches automatically and forgets the server. */
export function removeServerNow(state: MockState, id: number): void {
  const s = state.servers.get(id);
  if (!s) return;
  forgetServerInFirewalls(state, id);
  for (const net of state.networks.values()) net.servers = net.servers.filter((x) => x !== id);
  for (const pg of state.placementGroups.values()) pg.servers = pg.servers.filter((x) => x !== id);
  for (const v of state.volumes.values()) if (v.server === id) v.server = null;
  for (const p of [...state.primaryIps.values()]) {
    if (p.assignee_id !== id) continue;
    if (p.auto_delete) state.primaryIps.delete(p.id);
    else p.assignee_id = null;
  }
  state.servers.delete(id);
}
