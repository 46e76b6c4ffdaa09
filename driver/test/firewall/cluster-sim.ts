// A cluster of simulated driver processes against the mock: each node has its own HcloudClient (own retry state,
// own connection pool) and runs the same firewall calls, in the same order, as the driver lifecycle does.
import {
  type ClusterFirewallContext,
  deregisterNode,
  prepareClusterFirewall,
  registerNode,
  type ServerLike,
} from '../../src/firewall';
import { normaliseCidrList } from '../../src/firewall/cidr';
import { nodeSources } from '../../src/firewall/desired';
import { clusterLabels } from '../../src/firewall/labels';
import { type ReconcileOptions, withTransientRetry } from '../../src/firewall/reconcile';
import { internalSources, isInternalRule } from '../../src/firewall/rules';
import { HcloudClient, type HcloudClientOptions } from '../../src/hcloud';
import type { FirewallRule } from '../../src/hcloud/resources/firewall';
import type { Server } from '../../src/hcloud/resources/server';
import { toLabelValue } from '../../src/labels';
import type { Logger } from '../../src/log';

export interface SimOptions {
  url: string;
  clusterId: string;
  autoCreateRules?: boolean;
  firewallName?: string;
  client?: Partial<HcloudClientOptions>;
  reconcile?: Partial<ReconcileOptions>;
  logger?: Logger;
}

export const quietLogger: Logger = { info() {}, warn() {}, debug() {}, error() {} };

/** Fast client timings for tests: millisecond backoff and polling. */
export const FAST_CLIENT: Partial<HcloudClientOptions> = {
  backoff: { baseMs: 5, capMs: 40 },
  poll: { initialMs: 10, maxMs: 40, factor: 1.5 },
};

export interface SimNode {
  name: string;
  client: HcloudClient;
  ctx: ClusterFirewallContext;
  server: Server | null;
}

export function makeNode(o: SimOptions, name: string, createFirewall: boolean): SimNode {
  const client = new HcloudClient({ token: 'sim-token', endpoint: o.url, ...FAST_CLIENT, ...o.client });
  const ctx: ClusterFirewallContext = {
    client,
    logger: o.logger ?? quietLogger,
    clusterId: o.clusterId,
    createFirewall,
    firewallName: o.firewallName,
    autoCreateRules: o.autoCreateRules ?? true,
    machineName: name,
    reconcile: o.reconcile,
  };
  return { name, client, ctx, server: null };
}

/** What Create does: prepare, POST /servers with the returned ids and labels, wait, register. */
export async function join(node: SimNode): Promise<Server> {
  const running = await createServer(node);
  await registerNode(node.ctx, running);
  return running;
}

/** Create up to (not including) registration. */
export async function createServer(node: SimNode): Promise<Server> {
  const { client, ctx } = node;
  const prepared = await prepareClusterFirewall(ctx);
  const labels = {
    ...prepared.serverLabels,
    ...clusterLabels(ctx.clusterId),
    machine: toLabelValue(node.name),
  };
  const created = await client.servers.create({
    name: node.name,
    server_type: 'cx23',
    image: 'ubuntu-24.04',
    location: 'fsn1',
    labels,
    start_after_create: true,
    ...(prepared.firewallIds.length > 0 ? { firewalls: prepared.firewallIds.map((id) => ({ firewall: id })) } : {}),
  });
  // The driver's own waits are not under test here; ride out injected faults on them.
  await withTransientRetry(quietLogger, 'wait', () =>
    client.actions.waitFor([created.action, ...created.next_actions], { timeoutMs: 60_000 }),
  );
  const running = await withTransientRetry(quietLogger, 'get', () => client.servers.get(created.server.id));
  if (!running) throw new Error(`server ${node.name} vanished after create`);
  node.server = running;
  return running;
}

/** What Remove does: delete the server, wait, then deregister. */
export async function leave(node: SimNode): Promise<void> {
  const { client, ctx } = node;
  const server = node.server;
  if (server) {
    // set_rules locks every server of the firewall for a moment (apply_firewall); the driver retries, so do we.
    const action = await withTransientRetry(quietLogger, 'delete', () => client.servers.delete(server.id));
    await withTransientRetry(quietLogger, 'wait', () => client.actions.waitFor([action], { timeoutMs: 60_000 }));
  }
  await deregisterNode(ctx, server);
  node.server = null;
}

/** Ground truth and what the firewall holds, read with a plain client. */
export async function observe(url: string, clusterId: string, token = 'observer') {
  const client = new HcloudClient({ token, endpoint: url, ...FAST_CLIENT });
  const selector = Object.entries(clusterLabels(clusterId))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const [servers, firewalls] = await withTransientRetry(quietLogger, 'observe', () =>
    Promise.all([
      client.servers.list({ label_selector: selector }),
      client.firewalls.list({ label_selector: selector }),
    ]),
  );
  const fw = firewalls[0] ?? null;
  const internal = fw ? fw.rules.filter(isInternalRule) : [];
  return {
    servers,
    firewalls,
    firewall: fw,
    expected: normaliseCidrList(servers.flatMap((s: ServerLike) => nodeSources(s))),
    actual: fw ? internalSources(fw.rules) : [],
    /** Per internal port group: its sources, so a group that lags behind the others shows up. */
    perGroup: groupSources(internal),
  };
}

function groupSources(rules: readonly FirewallRule[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of rules) {
    const key = `${r.protocol}/${r.port ?? ''}`;
    out.set(key, normaliseCidrList([...(out.get(key) ?? []), ...r.source_ips]));
  }
  return out;
}
