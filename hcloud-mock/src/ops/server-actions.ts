// POST /servers/{id}/actions/*: power actions and the changes the API makes through actions (networks, reverse
// DNS, placement group, protection). Each takes the server's lock for as long as its action runs.
import type { PrivateNet, ServerRecord, ServerStatus } from '../records';
import type { MockState } from '../state';
import { ApiError, invalidInput, lockedError, notFound } from '../util';
import { allocatePrivateIp, checkPlacementCapacity, getNetwork, getPlacementGroup } from './resources';
import { setStatus } from './servers';

interface PowerSpec {
  command: string;
  during?: ServerStatus;
  after: ServerStatus;
}

const POWER: Record<string, PowerSpec> = {
  poweron: { command: 'start_server', during: 'starting', after: 'running' },
  poweroff: { command: 'stop_server', during: 'stopping', after: 'off' },
  // ACPI requests: the action succeeding only means the signal was sent (reference §1.8).
  shutdown: { command: 'shutdown_server', after: 'off' },
  reboot: { command: 'reboot_server', after: 'running' },
  reset: { command: 'reset_server', after: 'running' },
};

function lockedServer(state: MockState, id: number): ServerRecord {
  const s = state.server(id);
  if (state.actions.isLocked(`server:${id}`)) throw lockedError('server');
  return s;
}

export function serverAction(state: MockState, id: number, name: string, body: Record<string, unknown>) {
  const power = POWER[name];
  if (power) {
    const s = lockedServer(state, id);
    const previous = s.status;
    if (power.during) s.status = power.during;
    const action = state.actions.start(power.command, [{ id, type: 'server' }], {
      locks: [`server:${id}`],
      onSuccess: () => setStatus(state, id, power.after),
      onError: () => setStatus(state, id, previous),
    });
    return { action };
  }
  switch (name) {
    case 'attach_to_network':
      return attachToNetwork(state, id, body);
    case 'detach_from_network':
      return detachFromNetwork(state, id, body);
    case 'change_dns_ptr':
      return changeDnsPtr(state, id, body);
    case 'add_to_placement_group':
      return addToPlacementGroup(state, id, body);
    case 'remove_from_placement_group':
      return removeFromPlacementGroup(state, id);
    case 'change_protection':
      return changeProtection(state, id, body);
    default:
      throw notFound(`server action ${name}`);
  }
}

function attachToNetwork(state: MockState, id: number, body: Record<string, unknown>) {
  const s = lockedServer(state, id);
  if (body.network === undefined || body.network === null) throw invalidInput('network', 'is required');
  const net = getNetwork(state, Number(body.network));
  if (s.privateNet.some((p) => p.network === net.id)) {
    throw new ApiError(422, 'server_already_attached', `server ${id} is already attached to network ${net.id}`);
  }
  const ip = allocatePrivateIp(state, net, { ip: body.ip, ipRange: body.ip_range });
  const aliasIps = Array.isArray(body.alias_ips) ? body.alias_ips.map(String) : [];
  const entry: PrivateNet = { network: net.id, ip, alias_ips: aliasIps, mac_address: state.macAddress() };
  s.privateNet.push(entry);
  net.servers.push(id);
  const action = state.actions.start(
    'attach_to_network',
    [
      { id, type: 'server' },
      { id: net.id, type: 'network' },
    ],
    {
      locks: [`server:${id}`],
      onError: () => {
        const cur = state.servers.get(id);
        if (cur) cur.privateNet = cur.privateNet.filter((p) => p !== entry);
        net.servers = net.servers.filter((x) => x !== id);
      },
    },
  );
  return { action };
}

function detachFromNetwork(state: MockState, id: number, body: Record<string, unknown>) {
  const s = lockedServer(state, id);
  if (body.network === undefined || body.network === null) throw invalidInput('network', 'is required');
  const net = getNetwork(state, Number(body.network));
  if (!s.privateNet.some((p) => p.network === net.id)) {
    throw new ApiError(422, 'server_not_attached', `server ${id} is not attached to network ${net.id}`);
  }
  const action = state.actions.start(
    'detach_from_network',
    [
      { id, type: 'server' },
      { id: net.id, type: 'network' },
    ],
    {
      locks: [`server:${id}`],
      onSuccess: () => {
        const cur = state.servers.get(id);
        if (cur) cur.privateNet = cur.privateNet.filter((p) => p.network !== net.id);
        net.servers = net.servers.filter((x) => x !== id);
      },
    },
  );
  return { action };
}

function ipv6InPrefix(ip: string, prefix: string): boolean {
  // Our IPv6 prefixes are /64s written as `2001:db8:xxxx::/64`: the first three groups identify them.
  const head = prefix.split('::')[0]!.toLowerCase();
  return ip.toLowerCase().startsWith(`${head}:`);
}

function changeDnsPtr(state: MockState, id: number, body: Record<string, unknown>) {
  const s = lockedServer(state, id);
  if (typeof body.ip !== 'string' || body.ip === '') throw invalidInput('ip', 'is required');
  if (body.dns_ptr !== null && typeof body.dns_ptr !== 'string')
    throw invalidInput('dns_ptr', 'must be a string or null');
  const ip = body.ip;
  const ptr = body.dns_ptr as string | null;
  const v4 = s.ipv4 === null ? undefined : state.primaryIps.get(s.ipv4);
  const v6 = s.ipv6 === null ? undefined : state.primaryIps.get(s.ipv6);
  let target: typeof v4;
  if (v4 && v4.ip === ip) target = v4;
  else if (v6 && ipv6InPrefix(ip, v6.ip)) target = v6;
  if (!target) throw invalidInput('ip', `IP ${ip} does not belong to server ${id}`);
  const rec = target;
  const action = state.actions.start('change_dns_ptr', [{ id, type: 'server' }], {
    locks: [`server:${id}`],
    onSuccess: () => {
      rec.dns_ptr = rec.dns_ptr.filter((d) => d.ip !== ip);
      if (ptr !== null) rec.dns_ptr.push({ ip, dns_ptr: ptr });
      else if (rec.type === 'ipv4')
        rec.dns_ptr.push({ ip, dns_ptr: `static.${ip.split('.').reverse().join('.')}.clients.your-server.de` });
    },
  });
  return { action };
}

function addToPlacementGroup(state: MockState, id: number, body: Record<string, unknown>) {
  const s = lockedServer(state, id);
  if (body.placement_group === undefined) throw invalidInput('placement_group', 'is required');
  const pg = getPlacementGroup(state, Number(body.placement_group));
  if (s.status !== 'off') throw new ApiError(422, 'server_not_stopped', `server ${id} must be powered off`);
  if (s.placementGroupId !== null) {
    throw new ApiError(422, 'placement_error', `server ${id} is already in placement group ${s.placementGroupId}`);
  }
  checkPlacementCapacity(state, pg);
  s.placementGroupId = pg.id;
  pg.servers.push(id);
  const action = state.actions.start(
    'add_to_placement_group',
    [
      { id, type: 'server' },
      { id: pg.id, type: 'placement_group' },
    ],
    { locks: [`server:${id}`] },
  );
  return { action };
}

function removeFromPlacementGroup(state: MockState, id: number) {
  const s = lockedServer(state, id);
  if (s.placementGroupId === null) throw new ApiError(422, 'placement_error', `server ${id} is in no placement group`);
  if (s.status !== 'off') throw new ApiError(422, 'server_not_stopped', `server ${id} must be powered off`);
  const pg = state.placementGroups.get(s.placementGroupId);
  if (pg) pg.servers = pg.servers.filter((x) => x !== id);
  s.placementGroupId = null;
  const action = state.actions.start('remove_from_placement_group', [{ id, type: 'server' }], {
    locks: [`server:${id}`],
  });
  return { action };
}

/** The API keeps `delete` and `rebuild` protection equal; a request may name either or both. */
function changeProtection(state: MockState, id: number, body: Record<string, unknown>) {
  const s = lockedServer(state, id);
  const next = { ...s.protection };
  for (const key of ['delete', 'rebuild'] as const) {
    const v = body[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'boolean') throw invalidInput(key, 'must be a boolean');
    next[key] = v;
  }
  if (next.delete !== next.rebuild) {
    throw invalidInput('rebuild', 'delete and rebuild protection must have the same value');
  }
  const action = state.actions.start('change_protection', [{ id, type: 'server' }], {
    locks: [`server:${id}`],
    onSuccess: () => {
      const cur = state.servers.get(id);
      if (cur) cur.protection = next;
    },
  });
  return { action };
}
