// The shared cluster firewall, as the driver lifecycle sees it: three calls at three moments of a machine's life.
// Everything below them converges from ground truth (the cluster's labelled servers), never from what a previous
// read of the rules said, so concurrent writers in separate driver processes heal each other's lost updates.
import type { ServerLike } from './api';
import { deregister, type NodeStepOptions, prepare, register } from './cluster';
import type { ClusterFirewallContext } from './context';

export type { FirewallApiClient, ServerLike } from './api';
export { clusterServerSelector, type NodeStepOptions } from './cluster';
export type { ClusterFirewallContext } from './context';
export { FirewallLimitError } from './desired';
export { describeOwner, isClusterFirewall } from './labels';
export { ForeignFirewallError, foreignFirewallMessage } from './ownership';
export type { Alongside, ReconcileOptions } from './reconcile';
export { parseAdminCidrs } from './rules';

/**
 * Before the server exists: find-or-create the shared firewall (create-firewall mode). Returns the firewall ids to
 * put into POST /servers `firewalls` and labels to add to the server (the selector label). In other modes it
 * returns nothing to add.
 */
export async function prepareClusterFirewall(
  ctx: ClusterFirewallContext,
): Promise<{ firewallIds: number[]; serverLabels: Record<string, string> }> {
  return prepare(ctx);
}

/**
 * Once the server exists (the create answer has its addresses): register them in the internal rules (any mode with
 * clusterId set). `opts.alongside` lets the rule write's poll wait for the server's create actions as well.
 */
export async function registerNode(
  ctx: ClusterFirewallContext,
  server: ServerLike,
  opts?: NodeStepOptions,
): Promise<void> {
  await register(ctx, server, opts);
}

/**
 * On remove, after the server is deleted (server may be null if unknown): drop its addresses; delete the firewall
 * when no create-firewall node of the cluster remains.
 */
export async function deregisterNode(
  ctx: ClusterFirewallContext,
  server: ServerLike | null,
  opts?: NodeStepOptions,
): Promise<void> {
  await deregister(ctx, server, opts);
}
