// What the form derives from the machine pool around it: the pool's size and name (from the host's
// `machinePools`), the monthly cost, and the IP families Rancher's cluster form needs (isIpv6 / isDualStack).
import { priceFor } from './catalog';
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
 * Gross monthly price (what the console shows) of one server of `type` in `location`, times the pool size. The
 * total is the rounded unit price times the count, so the line's arithmetic checks out for the reader.
 */
export function monthlyCost(type: ServerType | undefined, location: string, quantity?: number): MonthlyCost | undefined {
  const price = type && priceFor(type, location);
  const gross = Number(price?.price_monthly.gross);

  if (!price || !Number.isFinite(gross)) return undefined;
  const cents = Math.round(gross * 100);
  const euro = (c: number) => `€${ (c / 100).toFixed(2) }`;

  return quantity === undefined ? { each: euro(cents) } : {
    each: euro(cents), quantity, total: euro(cents * quantity)
  };
}

/** Rancher's pool flags: dual-stack when both public families are on, IPv6-only when only IPv6 is. */
export function ipFamilies(v: HetznerConfig): { isIpv6: boolean; isDualStack: boolean } {
  const v4 = v.disablePublicIpv4 !== true;
  const v6 = v.disablePublicIpv6 !== true;

  return { isDualStack: v4 && v6, isIpv6: !v4 && v6 };
}
