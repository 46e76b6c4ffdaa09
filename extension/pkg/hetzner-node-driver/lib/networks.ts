// `networks` entries: `<network>` (any subnet), `<network>:<ip-range>` (a subnet of the network) or
// `<network>:<ip>` (a fixed private IP). The part before the last ':' is the network's ID or name, as before.
import {
  formatIpv4, parseIpv4, parseIpv4Cidr, rangeContains, rangeWithin
} from './addresses';
import type { Network, Subnet } from './hcloud';

export type NetworkPin =
  | { kind: 'none' }
  | { kind: 'range'; range: string }
  /** `ip` may be empty while the user has chosen "fixed IP" but not typed one yet; it is then written as `<id>:`. */
  | { kind: 'ip'; ip: string };

export interface NetworkEntry {
  ref: string;
  pin: NetworkPin;
}

export function parseNetworkEntry(entry: string): NetworkEntry {
  const v = entry.trim();
  const at = v.lastIndexOf(':');

  if (at < 0) return { ref: v, pin: { kind: 'none' } };
  const ref = v.slice(0, at).trim();
  const where = v.slice(at + 1).trim();

  return where.includes('/') ? { ref, pin: { kind: 'range', range: where } } : { ref, pin: { kind: 'ip', ip: where } };
}

export function formatNetworkEntry(e: NetworkEntry): string {
  if (e.pin.kind === 'range') return `${ e.ref }:${ e.pin.range }`;
  if (e.pin.kind === 'ip') return `${ e.ref }:${ e.pin.ip }`;

  return e.ref;
}

export function networkRefs(entries: string[] | null | undefined): string[] {
  return (entries ?? []).map((e) => parseNetworkEntry(e).ref);
}

/** The network an entry names, by ID or (as the driver also accepts) by name. */
export function findNetwork(networks: Network[], ref: string): Network | undefined {
  return networks.find((n) => String(n.id) === ref || n.name === ref);
}

/** Subnets a server in `zone` can be placed in (vSwitch subnets hold dedicated servers, not cloud servers). */
export function pinnableSubnets(network: Network, zone: string | undefined): Subnet[] {
  return network.subnets.filter((s) => s.type !== 'vswitch' && (!zone || s.network_zone === zone));
}

export interface PinProblem {
  key: string;
  args: Record<string, string>;
}

/** What is wrong with a subnet or fixed IP for this network and zone; the same rules the driver checks. */
export function pinProblem(network: Network, pin: NetworkPin, zone: string | undefined): PinProblem | undefined {
  const netRange = parseIpv4Cidr(network.ip_range);
  const subnets = pinnableSubnets(network, undefined);
  const args = {
    network: network.name, range: network.ip_range, zone: zone ?? ''
  };
  const inZone = (s: Subnet) => !zone || s.network_zone === zone;

  if (pin.kind === 'none') return undefined;
  if (pin.kind === 'range') {
    const want = parseIpv4Cidr(pin.range);

    if (!want) return { key: 'networkRangeInvalid', args: { ...args, value: pin.range } };
    if (netRange && !rangeWithin(want, netRange)) return { key: 'networkRangeOutside', args: { ...args, value: pin.range } };
    const holder = subnets.find((s) => {
      const r = parseIpv4Cidr(s.ip_range);

      return r !== null && rangeWithin(want, r);
    });

    if (!holder || !inZone(holder)) return { key: 'networkRangeNoSubnet', args: { ...args, value: pin.range } };

    return undefined;
  }
  if (!pin.ip) return { key: 'networkIpMissing', args };
  const ip = parseIpv4(pin.ip);

  if (ip === null) return { key: 'networkIpInvalid', args: { ...args, value: pin.ip } };
  if (netRange && !rangeContains(netRange, ip)) return { key: 'networkIpOutside', args: { ...args, value: pin.ip } };
  const holder = subnets.find((s) => {
    const r = parseIpv4Cidr(s.ip_range);

    return r !== null && rangeContains(r, ip);
  });

  if (!holder || !inZone(holder)) return { key: 'networkIpNoSubnet', args: { ...args, value: pin.ip } };
  const r = parseIpv4Cidr(holder.ip_range)!;
  const reserved = [r.base, r.base + r.size - 1, parseIpv4(holder.gateway ?? '')];

  if (reserved.includes(ip)) {
    return {
      key:  'networkIpReserved',
      args: {
        ...args, value: formatIpv4(ip), subnet: holder.ip_range
      }
    };
  }

  return undefined;
}
