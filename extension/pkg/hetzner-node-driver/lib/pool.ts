// What the form derives from the machine pool around it: the pool's size and name (from the host's
// `machinePools`), the monthly cost, and the IP families Rancher's cluster form needs (hasIpv6 / isIpv6 /
// isDualStack).
import { priceFor, typeAvailability } from './catalog';
import type { HetznerConfig } from './config';
import type { ServerType } from './hcloud';

interface PoolEntry {
  id?: string;
  pool?: { name?: string; quantity?: number | string | null };
}

/** This pool's entry in the host's list: by ID when the host passes one, else by index. */
export function poolEntry(machinePools: unknown[], poolIndex: number, poolId: string): PoolEntry | undefined {
  const pools = (machinePools ?? []) as PoolEntry[];

  return (poolId ? pools.find((p) => p?.id === poolId) : undefined) ?? pools[poolIndex];
}

/** The pool's machine count, or undefined when the host does not say (older hosts, a blank field). */
export function poolQuantity(entry: PoolEntry | undefined): number | undefined {
  const q = Number(entry?.pool?.quantity);

  return entry?.pool?.quantity !== null && entry?.pool?.quantity !== '' && Number.isInteger(q) && q >= 0 ? q : undefined;
}

export interface MonthlyCost {
  /** "€4.59" */
  each: string;
  quantity?: number;
  /** "€13.77", when the quantity is known. */
  total?: string;
}

/**
 * Gross monthly price (what the console shows) of one server of `type` in `location` (its own `prices[]` entry),
 * times the pool size. The total is the rounded unit price times the count, so the line's arithmetic checks out for
 * the reader.
 */
export function monthlyCost(type: ServerType | undefined, location: string, quantity?: number): MonthlyCost | undefined {
  const orderable = type && typeAvailability(type, location);

  // No price for a type that is not sold or deprecated in the location: the form's validation says why. A type sold
  // out right now keeps its price, it is what the pool costs once Hetzner has capacity again.
  if (orderable === 'notSold' || orderable === 'deprecated') return undefined;
  const price = type && priceFor(type, location);
  const gross = Number(price?.price_monthly.gross);

  if (!price || !Number.isFinite(gross)) return undefined;
  const cents = Math.round(gross * 100);
  const euro = (c: number) => `€${ (c / 100).toFixed(2) }`;

  return quantity === undefined ? { each: euro(cents) } : {
    each: euro(cents), quantity, total: euro(cents * quantity)
  };
}

/** The parts of the provisioning cluster (the host's `cluster` prop) the form reads. */
export interface ClusterRef {
  id?: string;
  metadata?: { name?: string };
  spec?: { rkeConfig?: { machineGlobalConfig?: Record<string, unknown> | null } | null } | null;
}

/**
 * The IP-family flags Rancher's cluster page keeps per machine pool. They describe the cluster's networking on
 * this pool's nodes, not which addresses a server has (every Hetzner server has public IPv4 and IPv6 by default,
 * and RKE2/K3s still run single-stack IPv4 on it unless the cluster is configured dual-stack):
 * - isIpv6 (2.14+): the nodes reach each other over IPv6 only (no public IPv4, and no private network, which is
 *   IPv4). The page then requires stack preference "ipv6" and IPv6 cluster/service CIDRs.
 * - isDualStack (2.14+): the cluster runs dual-stack on these nodes: its cluster CIDR has an IPv4 and an IPv6
 *   range and the nodes have both public families. The page then requires stack preference "dual" or "ipv6" and
 *   IPv6 CIDRs, which such a cluster already has.
 * - hasIpv6 (2.13): the cluster uses IPv6 on these nodes (either of the above). The page then sets the stack
 *   preference of a new cluster to "dual" and refuses "ipv4".
 */
export interface IpFamilies {
  isIpv6: boolean;
  isDualStack: boolean;
  hasIpv6: boolean;
}

/** The IP families a comma-separated CIDR list such as RKE2's `cluster-cidr` covers. */
export function cidrFamilies(cidrs: unknown): { v4: boolean; v6: boolean } {
  const list = typeof cidrs === 'string' ? cidrs.split(',').map((c) => c.trim()).filter(Boolean) : [];

  return { v4: list.some((c) => !c.includes(':')), v6: list.some((c) => c.includes(':')) };
}

export function ipFamilies(v: HetznerConfig, cluster?: ClusterRef | null): IpFamilies {
  const v4 = v.disablePublicIpv4 !== true;
  const v6 = v.disablePublicIpv6 !== true;
  const privateV4 = v.usePrivateNetwork === true && (v.networks ?? []).length > 0;
  const cidr = cidrFamilies(cluster?.spec?.rkeConfig?.machineGlobalConfig?.['cluster-cidr']);
  const isIpv6 = !v4 && v6 && !privateV4;
  const isDualStack = v4 && v6 && cidr.v4 && cidr.v6;

  return {
    isIpv6, isDualStack, hasIpv6: isIpv6 || isDualStack
  };
}
