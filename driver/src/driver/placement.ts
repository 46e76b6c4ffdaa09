// Spread placement per pool (`hetzner-placement-group-spread`): the driver creates spread groups named after the
// cluster and pool on demand, fills one to Hetzner's limit of 10 servers before opening the next, and deletes a
// group it created once its last server is gone. Driver processes of one pool run side by side without talking to
// each other, so every decision is re-made from what the API says now: find-or-create by name, and after a
// `placement_error` recount the group instead of trusting an earlier list.
import type { HcloudClient, PlacementGroup } from '../hcloud';
import { isHcloudError } from '../hcloud';
import {
  AUTO_PLACEMENT_KEY,
  CLUSTER_KEY,
  MACHINE_KEY,
  MANAGED_BY_KEY,
  MANAGED_BY_VALUE,
  POOL_KEY,
  toLabelValue,
} from '../labels';
import type { Logger } from '../log';
import { FLAG, type FlagSettings } from './flags';
import { poolName } from './rdns';
import type { Problems } from './validate';

/** Hetzner's limit of servers in one spread placement group. */
export const SPREAD_GROUP_LIMIT = 10;
export const AUTO_PLACEMENT_VALUE = 'spread';

const NAME_PREFIX_MAX = 48;
const INDEX_RE = /-spread-(\d+)$/;

export interface SpreadContext {
  client: HcloudClient;
  logger: Logger;
  clusterId: string;
  machineName: string;
  /** `hetzner-server-labels` entries: a `pool=` label names the pool when the machine name does not. */
  serverLabels: readonly string[];
}

/**
 * The pool, as `{{ pool }}` in the rDNS template sees it (the `pool=` label, else from Rancher's machine name); a
 * machine made by hand whose name shows no pool is a pool of its own.
 */
export function spreadPool(machineName: string, clusterId: string, serverLabels: readonly string[]): string {
  return toLabelValue(poolName(machineName, clusterId, serverLabels) || machineName);
}

/** The labels of the pool's auto-created groups. */
export function spreadGroupLabels(clusterId: string, pool: string): Record<string, string> {
  return {
    [MANAGED_BY_KEY]: MANAGED_BY_VALUE,
    [CLUSTER_KEY]: toLabelValue(clusterId),
    [POOL_KEY]: pool,
    [AUTO_PLACEMENT_KEY]: AUTO_PLACEMENT_VALUE,
  };
}

/** Selector for every auto-created group of a cluster (all pools), as `gc` needs it. */
export function clusterSpreadSelector(clusterId: string): string {
  return `${MANAGED_BY_KEY}=${MANAGED_BY_VALUE},${CLUSTER_KEY}=${toLabelValue(clusterId)},${AUTO_PLACEMENT_KEY}=${AUTO_PLACEMENT_VALUE}`;
}

/**
 * Selector for the auto-created groups whose creation this machine started (they carry its label too), for a Remove
 * that finds no server: a Create killed between making a group and its server leaves the group empty.
 */
export function machineSpreadSelector(machineName: string, clusterId: string): string {
  const cluster = clusterId ? `,${CLUSTER_KEY}=${toLabelValue(clusterId)}` : '';
  return (
    `${MANAGED_BY_KEY}=${MANAGED_BY_VALUE},${MACHINE_KEY}=${toLabelValue(machineName)}${cluster},` +
    `${AUTO_PLACEMENT_KEY}=${AUTO_PLACEMENT_VALUE}`
  );
}

/** True when the labels prove the driver auto-created this group. */
export function isAutoSpreadGroup(group: Pick<PlacementGroup, 'labels'>): boolean {
  return (
    group.labels?.[MANAGED_BY_KEY] === MANAGED_BY_VALUE && group.labels?.[AUTO_PLACEMENT_KEY] === AUTO_PLACEMENT_VALUE
  );
}

/** `<cluster>-<pool>-spread-<n>`, kept within the name length Hetzner accepts. */
export function spreadGroupName(clusterId: string, pool: string, index: number): string {
  const cluster = toLabelValue(clusterId);
  const prefix = (pool.startsWith(`${cluster}-`) ? pool : `${cluster}-${pool}`)
    .slice(0, NAME_PREFIX_MAX)
    .replace(/[-._]+$/, '');
  return `${prefix}-spread-${index}`;
}

function indexOf(group: PlacementGroup): number {
  const m = INDEX_RE.exec(group.name);
  return m ? Number(m[1]) : 0;
}

/** PreCreateCheck's rules for the spread flag (no API needed). */
export function checkSpreadSettings(s: FlagSettings, { error }: Problems): void {
  if (!s.placementGroupSpread) return;
  if (s.placementGroup) {
    error(
      FLAG.placementGroupSpread,
      `cannot be combined with --${FLAG.placementGroup}: use your own group or the automatic spread groups`,
    );
  }
  if (!s.clusterId) {
    error(
      FLAG.placementGroupSpread,
      `spread groups are named and labelled per cluster and pool: set --${FLAG.clusterId} so that ` +
        'every machine of the pool finds the same groups',
    );
  }
}

export class SpreadPlacement {
  private readonly labels: Record<string, string>;
  private readonly pool: string;

  constructor(private readonly ctx: SpreadContext) {
    this.pool = spreadPool(ctx.machineName, ctx.clusterId, ctx.serverLabels);
    this.labels = spreadGroupLabels(ctx.clusterId, this.pool);
  }

  private name(index: number): string {
    return spreadGroupName(this.ctx.clusterId, this.pool, index);
  }

  selector(): string {
    return Object.entries(this.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
  }

  /**
   * The pool's group with room, lowest index first so groups fill one after the other; when all are full, the next
   * one is created (or found, when a concurrent create made it first).
   */
  async choose(): Promise<PlacementGroup> {
    const groups = (await this.ctx.client.placementGroups.list({ label_selector: this.selector() }))
      .filter(isAutoSpreadGroup)
      .sort((a, b) => indexOf(a) - indexOf(b) || a.id - b.id);
    const open = groups.find((g) => g.servers.length < SPREAD_GROUP_LIMIT);
    if (open) return open;
    let index = groups.reduce((max, g) => Math.max(max, indexOf(g)), 0) + 1;
    // A name taken by a group we did not make (same pool prefix, no labels) is skipped, never adopted.
    for (let tries = 0; tries < 5; tries++, index++) {
      const made = await this.findOrCreate(this.name(index));
      if (made) return made;
    }
    throw new Error(
      `could not create a spread placement group for pool ${this.pool}: the names ${this.name(index - 5)}… ` +
        'are taken by groups this driver did not create',
    );
  }

  private async findOrCreate(name: string): Promise<PlacementGroup | null> {
    try {
      // The pool's labels find the group for every machine of the pool; the creator's machine label lets its Remove
      // find the group when a kill left it empty before the server existed.
      const labels = { ...this.labels, [MACHINE_KEY]: toLabelValue(this.ctx.machineName) };
      const group = await this.ctx.client.placementGroups.create({ name, type: 'spread', labels });
      this.ctx.logger.info(`Created spread placement group ${name} (id ${group.id})`);
      return group;
    } catch (err) {
      if (!isHcloudError(err, 'uniqueness_error')) throw err;
      const existing = await this.ctx.client.placementGroups.getByName(name);
      if (!existing) return null;
      if (!isAutoSpreadGroup(existing)) {
        this.ctx.logger.warn(`Placement group ${name} exists but was not created by this driver; skipping its name`);
        return null;
      }
      // Created a moment ago by another machine of the pool; a full one sends the caller round again.
      return existing;
    }
  }

  /**
   * After `placement_error` or `not_found` for `groupId`: true when the group filled up or vanished under us (try
   * another group), false when it still has room, i.e. Hetzner could not place the server for another reason.
   */
  async groupWasTaken(groupId: number): Promise<boolean> {
    const now = await this.ctx.client.placementGroups.get(groupId);
    return !now || now.servers.length >= SPREAD_GROUP_LIMIT;
  }
}

/**
 * Deletes an auto-created group that holds no server any more. A create that picked the group a moment ago then
 * meets `not_found` and chooses again, so the race is harmless. Returns true when the group was deleted.
 */
export async function releaseSpreadGroup(
  client: HcloudClient,
  logger: Logger,
  groupOrId: number | PlacementGroup,
): Promise<boolean> {
  const group = typeof groupOrId === 'number' ? await client.placementGroups.get(groupOrId) : groupOrId;
  if (!group || !isAutoSpreadGroup(group) || group.servers.length > 0) return false;
  try {
    await client.placementGroups.delete(group.id);
  } catch (err) {
    // Refilled by a concurrent create since we looked: it is in use again.
    if (isHcloudError(err, 'not_found', 'resource_in_use')) return false;
    throw err;
  }
  logger.info(`Deleted spread placement group ${group.name} (id ${group.id}): its last server is gone`);
  return true;
}
