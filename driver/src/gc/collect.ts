// Garbage collection for one cluster: finds what the driver created that nothing uses any more — SSH keys of
// machines whose server is gone, empty auto-created spread groups, a cluster firewall with no servers, addresses of
// vanished nodes in the firewall's rules — and, unless it is a dry run, removes it. Only resources carrying the
// driver's labels are considered; anything unlabelled is invisible to every query here.
import { clusterSpreadSelector, isAutoSpreadGroup } from '../driver/placement';
import { deregisterNode } from '../firewall';
import { desiredRules } from '../firewall/desired';
import { clusterLabels } from '../firewall/labels';
import { reconcileFirewall } from '../firewall/reconcile';
import { internalSources } from '../firewall/rules';
import type { HcloudClient, Server } from '../hcloud';
import { isHcloudError } from '../hcloud';
import { CLUSTER_KEY, labelSelector, MACHINE_KEY, MANAGED_BY_KEY, MANAGED_BY_VALUE, toLabelValue } from '../labels';
import type { Logger } from '../log';

export type FindingKind = 'ssh-key' | 'placement-group' | 'firewall' | 'firewall-rules';

export interface Finding {
  kind: FindingKind;
  id: number;
  name: string;
  reason: string;
  /** What gc did: `deleted`, `would delete`, `updated`, `would update`, `skipped: …` or `failed: …`. */
  action: string;
}

export interface GcOptions {
  client: HcloudClient;
  logger: Logger;
  /** The raw cluster id, as given to --hetzner-cluster-id. */
  clusterId: string;
  dryRun: boolean;
  /**
   * Resources younger than this are left alone: a Create in progress has uploaded its key (or made its group) but
   * not yet its server, and must not lose them.
   */
  minAgeMs: number;
  now?: () => number;
}

function ageMs(created: string | undefined, now: number): number {
  const t = created ? Date.parse(created) : Number.NaN;
  return Number.isNaN(t) ? Number.POSITIVE_INFINITY : now - t;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export async function collectGarbage(o: GcOptions): Promise<Finding[]> {
  const { client, logger } = o;
  const now = (o.now ?? Date.now)();
  const clusterValue = toLabelValue(o.clusterId);
  const clusterSelector = labelSelector(clusterLabels(o.clusterId));
  const young = (created: string | undefined) => ageMs(created, now) < o.minAgeMs;
  const findings: Finding[] = [];

  // Every labelled server of any cluster: a key is in use while a server of its machine exists at all.
  const [managedServers, keys, groups, firewalls] = await Promise.all([
    client.servers.list({ label_selector: `${MANAGED_BY_KEY}=${MANAGED_BY_VALUE}` }),
    client.sshKeys.list({ label_selector: clusterSelector }),
    client.placementGroups.list({ label_selector: clusterSpreadSelector(o.clusterId) }),
    client.firewalls.list({ label_selector: clusterSelector }),
  ]);
  const clusterServers: Server[] = managedServers.filter(
    (s) => s.labels[CLUSTER_KEY] === clusterValue && s.status !== 'deleting',
  );
  const liveMachines = new Set(managedServers.filter((s) => s.status !== 'deleting').map((s) => s.labels[MACHINE_KEY]));

  const act = async (f: Omit<Finding, 'action'>, verb: 'delete' | 'update', fn: () => Promise<void>) => {
    if (o.dryRun) {
      findings.push({ ...f, action: `would ${verb}` });
      return;
    }
    try {
      await fn();
      findings.push({ ...f, action: verb === 'delete' ? 'deleted' : 'updated' });
    } catch (e) {
      if (verb === 'delete' && isHcloudError(e, 'not_found')) {
        findings.push({ ...f, action: 'deleted' });
        return;
      }
      findings.push({ ...f, action: `failed: ${describe(e)}` });
    }
  };

  for (const key of keys) {
    if (key.labels[MANAGED_BY_KEY] !== MANAGED_BY_VALUE) continue;
    const machine = key.labels[MACHINE_KEY];
    if (!machine || liveMachines.has(machine)) continue;
    const f = { kind: 'ssh-key' as const, id: key.id, name: key.name, reason: `machine ${machine} has no server` };
    if (young(key.created)) {
      findings.push({ ...f, action: 'skipped: younger than --min-age (a create may be in progress)' });
      continue;
    }
    await act(f, 'delete', () => client.sshKeys.delete(key.id));
  }

  for (const group of groups) {
    if (!isAutoSpreadGroup(group) || group.servers.length > 0) continue;
    const f = { kind: 'placement-group' as const, id: group.id, name: group.name, reason: 'auto-created, no servers' };
    if (young(group.created)) {
      findings.push({ ...f, action: 'skipped: younger than --min-age (a create may be in progress)' });
      continue;
    }
    await act(f, 'delete', async () => {
      try {
        await client.placementGroups.delete(group.id);
      } catch (e) {
        // Filled by a create since the list: it is in use again.
        if (!isHcloudError(e, 'resource_in_use')) throw e;
        throw new Error('a server joined it meanwhile; kept');
      }
    });
  }

  for (const fw of firewalls) {
    if (fw.labels[MANAGED_BY_KEY] !== MANAGED_BY_VALUE || fw.labels[CLUSTER_KEY] !== clusterValue) continue;
    if (clusterServers.length === 0) {
      const f = { kind: 'firewall' as const, id: fw.id, name: fw.name, reason: 'the cluster has no servers' };
      if (young(fw.created)) {
        findings.push({ ...f, action: 'skipped: younger than --min-age (a create may be in progress)' });
        continue;
      }
      // The driver's own removal path: detach (selector included) and delete, retrying while Hetzner settles.
      await act(f, 'delete', () =>
        deregisterNode(
          {
            client,
            logger,
            clusterId: o.clusterId,
            createFirewall: true,
            firewallName: fw.name,
            autoCreateRules: false,
            machineName: 'gc',
          },
          null,
        ),
      );
      continue;
    }
    // Stale addresses: sources in the internal rules that no live server of the cluster has any more.
    const desired = desiredRules({ current: fw.rules, clusterServers, change: null, autoCreateRules: false });
    const keep = new Set(desired.sources);
    const stale = internalSources(fw.rules).filter((c) => !keep.has(c));
    if (stale.length === 0) continue;
    const f = {
      kind: 'firewall-rules' as const,
      id: fw.id,
      name: fw.name,
      reason: `stale node addresses: ${stale.join(', ')}`,
    };
    await act(f, 'update', async () => {
      // Converge from ground truth with the firewall module's verified apply loop, as a leaving node would.
      const r = await reconcileFirewall(client, logger, {
        firewallId: fw.id,
        clusterSelector,
        change: null,
        autoCreateRules: false,
      });
      if (!r.found) throw new Error('the firewall was deleted meanwhile');
    });
  }
  return findings;
}

/** A fixed-width table: one row per finding, or a line saying there was nothing to collect. */
export function formatFindings(findings: readonly Finding[], clusterId: string, dryRun: boolean): string {
  const header = `Cluster ${clusterId}${dryRun ? ' (dry run: nothing was changed)' : ''}`;
  if (findings.length === 0) return `${header}\nNothing to collect: every labelled resource is in use.\n`;
  const rows = [
    ['RESOURCE', 'ID', 'NAME', 'WHY', 'ACTION'],
    ...findings.map((f) => [f.kind, String(f.id), f.name, f.reason, f.action]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
  return `${header}\n${lines.join('\n')}\n`;
}
