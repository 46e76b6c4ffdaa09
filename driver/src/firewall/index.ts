// The shared cluster firewall, as the driver lifecycle sees it: three calls at three moments of a machine's life.
// Everything below them converges from ground truth (the cluster's labelled servers), never from what a previous
// read of the rules said, so concurrent writers in separate driver processes heal each other's lost updates.
import type { Logger } from '../driver/interface';
import type { FirewallApiClient, ServerLike } from './api';
import { deregister, type NodeStepOptions, prepare, register } from './cluster';
import type { ReconcileOptions } from './reconcile';

export type { FirewallApiClient, ServerLike } from './api';
export { clusterServerSelector, type NodeStepOptions } from './cluster';
export { FirewallLimitError } from './desired';
export {
  CLUSTER_LABEL,
  clusterIdLabelValue,
  describeOwner,
  FIREWALL_SELECTOR_LABEL,
  isClusterFirewall,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
} from './labels';
export { ForeignFirewallError, foreignFirewallMessage } from './ownership';
export type { Alongside, ReconcileOptions } from './reconcile';
export { parseAdminCidrs } from './rules';

export interface ClusterFirewallContext {
  /** An HcloudClient (any object with the firewall, server and action methods used here). */
  client: FirewallApiClient;
  logger: Logger;
  /** The raw cluster id from the cluster-id flag ('' when unset); normalised for labels internally. */
  clusterId: string;
  createFirewall: boolean;
  firewallName?: string | undefined;
  autoCreateRules: boolean;
  machineName: string;
  /**
   * Existing firewall ids the server will get at create (the `firewalls` flag), counted against Hetzner's limit of
   * 5 firewalls per server together with label-selector firewalls that would match the new server.
   */
  extraFirewallIds?: readonly number[] | undefined;
  /** Labels the server will carry besides the selector label (for the 5-firewalls check); defaults to the cluster's. */
  serverLabels?: Readonly<Record<string, string>> | undefined;
  /**
   * Admin CIDRs replace "anywhere" as the source of SSH and the Kubernetes API (parse with `parseAdminCidrs`); unset,
   * the design's rules.
   */
  adminCidrs?: readonly string[] | undefined;
  /** false leaves the public NodePort rules out of the template (default true: open from anywhere). */
  openNodePorts?: boolean | undefined;
  /** Test hooks: backoff, attempts, sleep, random, action timeout. */
  reconcile?: Partial<ReconcileOptions> | undefined;
}

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
