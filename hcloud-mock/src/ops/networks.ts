// Network actions: subnets, routes, the IP range and delete protection. Each change runs as an action on the
// network; while one runs, another change gets 409 `conflict` as the API documents for networks. The change shows
// in the network when its action succeeds.
import type { Action } from '../actions';
import type { NetworkRecord, Subnet } from '../records';
import type { MockState } from '../state';
import {
  ApiError,
  byIdOr404,
  type Cidr4,
  cidrContains,
  cidrOverlaps,
  cidrWithin,
  formatCidr4,
  formatIpv4,
  invalidInput,
  parseCidr4,
  parseIpv4,
} from '../util';

type NetworkShape = Pick<NetworkRecord, 'id' | 'ip_range' | 'subnets' | 'routes'>;

const METADATA_IP = parseIpv4('172.31.1.1')!;

function range(net: NetworkShape): Cidr4 {
  return parseCidr4(net.ip_range)!;
}

/** The network's own gateway: the first host of its range, which subnets and routes may not claim. */
function networkGateway(net: NetworkShape): number {
  return range(net).base + 1;
}

function overlapsExisting(net: NetworkShape, c: Cidr4): boolean {
  return (
    net.subnets.some((s) => cidrOverlaps(parseCidr4(s.ip_range)!, c)) ||
    net.routes.some((r) => cidrOverlaps(parseCidr4(r.destination)!, c))
  );
}

/** The first /24 (or the whole range if smaller) inside the network that no subnet or route uses yet. */
function freeSubnetRange(net: NetworkShape): Cidr4 {
  const r = range(net);
  const prefix = Math.max(r.prefix, 24);
  const size = 2 ** (32 - prefix);
  for (let base = r.base; base < r.base + r.size; base += size) {
    const c = { base, prefix, size };
    if (!overlapsExisting(net, c)) return c;
  }
  throw new ApiError(422, 'no_subnet_available', `network ${net.id} has no free /${prefix} left for a subnet`);
}

/**
 * One subnet as `POST /networks` and `add_subnet` take it, checked against the network's current subnets and
 * routes. `field` names the field in errors (`subnets` on create, the body's own field names on add_subnet).
 */
export function checkSubnet(
  state: MockState,
  net: NetworkShape,
  raw: unknown,
  field: (name: string) => string,
): Subnet {
  const s = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const type = s.type;
  if (type !== 'cloud' && type !== 'server' && type !== 'vswitch') {
    throw invalidInput(field('type'), "must be one of 'cloud', 'server', 'vswitch'");
  }
  const zones = new Set([...state.locations.values()].map((l) => l.network_zone));
  if (typeof s.network_zone !== 'string' || !zones.has(s.network_zone)) {
    throw invalidInput(field('network_zone'), `must be one of ${[...zones].join(', ')}`);
  }
  let vswitchId: number | null = null;
  if (type === 'vswitch') {
    if (typeof s.vswitch_id !== 'number' || !Number.isSafeInteger(s.vswitch_id) || s.vswitch_id < 1) {
      throw invalidInput(field('vswitch_id'), 'is required for a vswitch subnet');
    }
    vswitchId = s.vswitch_id;
  } else if (s.vswitch_id !== undefined && s.vswitch_id !== null) {
    throw invalidInput(field('vswitch_id'), 'is only allowed for a vswitch subnet');
  }
  let c: Cidr4;
  if (s.ip_range === undefined || s.ip_range === null) c = freeSubnetRange(net);
  else {
    const parsed = typeof s.ip_range === 'string' ? parseCidr4(s.ip_range) : null;
    if (!parsed || formatCidr4(parsed) !== s.ip_range) throw invalidInput(field('ip_range'), 'must be an IPv4 CIDR');
    c = parsed;
  }
  if (c.prefix > 30) throw invalidInput(field('ip_range'), 'must be at least a /30');
  if (!cidrWithin(c, range(net))) {
    throw invalidInput(field('ip_range'), `${formatCidr4(c)} is not inside the network's ip_range ${net.ip_range}`);
  }
  if (type === 'vswitch' && c.base === range(net).base) {
    throw invalidInput(field('ip_range'), "a vswitch subnet may not start at the network's first IP");
  }
  if (overlapsExisting(net, c)) {
    throw invalidInput(field('ip_range'), `${formatCidr4(c)} overlaps with another subnet or network route`);
  }
  return {
    type,
    ip_range: formatCidr4(c),
    network_zone: s.network_zone,
    // Cloud and server subnets route through the network's gateway; a vSwitch subnet has its own on the Robot side.
    gateway: formatIpv4(type === 'vswitch' ? c.base + 1 : networkGateway(net)),
    vswitch_id: vswitchId,
  };
}

/** One route `{destination, gateway}`, checked against the network as it is. */
export function checkRoute(net: NetworkShape, raw: unknown, field: (name: string) => string) {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const dest = typeof r.destination === 'string' ? parseCidr4(r.destination) : null;
  if (!dest || formatCidr4(dest) !== r.destination) throw invalidInput(field('destination'), 'must be an IPv4 CIDR');
  const gw = typeof r.gateway === 'string' ? parseIpv4(r.gateway) : null;
  if (gw === null) throw invalidInput(field('gateway'), 'must be an IPv4 address');
  if (!cidrWithin(dest, range(net))) {
    throw invalidInput(field('destination'), `${r.destination} is not inside the network's ip_range ${net.ip_range}`);
  }
  if (overlapsExisting(net, dest) || cidrContains(dest, networkGateway(net)) || cidrContains(dest, METADATA_IP)) {
    throw invalidInput(
      field('destination'),
      'network route destination overlaps with another subnetwork or network route',
    );
  }
  if (gw === networkGateway(net) || gw === METADATA_IP) {
    throw invalidInput(field('gateway'), `${r.gateway} is reserved and cannot be a route's gateway`);
  }
  const inSubnet = net.subnets.some((s) => s.type !== 'vswitch' && cidrContains(parseCidr4(s.ip_range)!, gw));
  if (!inSubnet) throw invalidInput(field('gateway'), `${r.gateway} is not inside a subnet of the network`);
  return { destination: formatCidr4(dest), gateway: formatIpv4(gw) };
}

/** Starts a change on the network, or answers `conflict` when another one is still running. */
function change(state: MockState, net: NetworkRecord, command: string, apply: () => void): { action: Action } {
  if (state.actions.isLocked(`network:${net.id}`)) {
    throw new ApiError(409, 'conflict', `network ${net.id} is changing, please retry`);
  }
  const action = state.actions.start(command, [{ id: net.id, type: 'network' }], {
    locks: [`network:${net.id}`],
    onSuccess: () => {
      if (state.networks.get(net.id) === net) apply();
    },
  });
  return { action };
}

const bodyField = (name: string) => name;

function requireBool(body: Record<string, unknown>, name: string): boolean {
  if (typeof body[name] !== 'boolean') throw invalidInput(name, 'must be a boolean');
  return body[name] as boolean;
}

export function networkAction(state: MockState, id: number, name: string, body: Record<string, unknown>) {
  const net = byIdOr404(state.networks, id, 'network');
  switch (name) {
    case 'add_subnet': {
      const subnet = checkSubnet(state, net, body, bodyField);
      return change(state, net, 'add_subnet', () => net.subnets.push(subnet));
    }
    case 'delete_subnet': {
      const c = typeof body.ip_range === 'string' ? parseCidr4(body.ip_range) : null;
      if (!c) throw invalidInput('ip_range', 'must be an IPv4 CIDR');
      const subnet = net.subnets.find((s) => s.ip_range === formatCidr4(c));
      if (!subnet) throw invalidInput('ip_range', `network ${id} has no subnet ${body.ip_range}`);
      const users = net.servers.filter((sid) =>
        state.servers.get(sid)?.privateNet.some((p) => p.network === id && cidrContains(c, parseIpv4(p.ip) ?? -1)),
      );
      if (users.length > 0) {
        throw new ApiError(
          422,
          'resource_in_use',
          `subnet ${subnet.ip_range} still has servers attached (${users.join(', ')}): detach them first`,
        );
      }
      const gatewayOf = net.routes.find((r) => cidrContains(c, parseIpv4(r.gateway)!));
      if (gatewayOf) {
        throw new ApiError(
          422,
          'resource_in_use',
          `subnet ${subnet.ip_range} holds the gateway of the route to ${gatewayOf.destination}: delete the route first`,
        );
      }
      return change(state, net, 'delete_subnet', () => {
        net.subnets = net.subnets.filter((s) => s !== subnet);
      });
    }
    case 'add_route': {
      const route = checkRoute(net, body, bodyField);
      return change(state, net, 'add_route', () => net.routes.push(route));
    }
    case 'delete_route': {
      const route = net.routes.find((r) => r.destination === body.destination && r.gateway === body.gateway);
      if (!route) {
        throw invalidInput(
          'destination',
          `network ${id} has no route to ${String(body.destination)} via ${String(body.gateway)}`,
        );
      }
      return change(state, net, 'delete_route', () => {
        net.routes = net.routes.filter((r) => r !== route);
      });
    }
    case 'change_ip_range': {
      const next = typeof body.ip_range === 'string' ? parseCidr4(body.ip_range) : null;
      if (!next || formatCidr4(next) !== body.ip_range) throw invalidInput('ip_range', 'must be an IPv4 CIDR');
      const cur = range(net);
      // The range can only grow, keeping its first IP: only the netmask changes.
      if (next.base !== cur.base || next.prefix > cur.prefix) {
        throw invalidInput('ip_range', `can only be extended from ${net.ip_range} by a shorter netmask`);
      }
      return change(state, net, 'change_ip_range', () => {
        net.ip_range = formatCidr4(next);
      });
    }
    case 'change_protection': {
      const del = requireBool(body, 'delete');
      return change(state, net, 'change_protection', () => {
        net.protection.delete = del;
      });
    }
    default:
      throw new ApiError(404, 'not_found', `network action ${name} not found`);
  }
}

export const NETWORK_ACTIONS = [
  'add_subnet',
  'delete_subnet',
  'add_route',
  'delete_route',
  'change_ip_range',
  'change_protection',
];
