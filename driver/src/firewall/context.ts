// What the three lifecycle calls of the shared cluster firewall (index.ts) need to know, in one type that the entry
// point and the steps (cluster.ts) both use without importing each other.
import type { Logger } from '../log';
import type { FirewallApiClient } from './api';
import type { ReconcileOptions } from './reconcile';

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
