// Remove: deletes the machine's server and SSH key, updates the cluster firewall and releases an emptied spread group.
// Resources are found by the machine's labels as well as by the stored IDs, so leftovers of a failed Create go too.
import {
  type Alongside,
  type ClusterFirewallContext,
  clusterServerSelector,
  deregisterNode,
  type NodeStepOptions,
} from '../firewall';
import { type Action, ActionError, isHcloudError, type Server } from '../hcloud';
import { CLUSTER_KEY, FIREWALL_SELECTOR_KEY } from '../labels';
import { type ApiCalls, retryBusy } from './api-calls';
import type { MachineConfig } from './config';
import { belongsTo, isOwnedBy, machineSelector, sameNameOwner } from './labels';
import { machineSpreadSelector, releaseSpreadGroup } from './placement';

/** How often a server's DELETE is sent when its delete_server action fails. */
const DELETE_ACTION_ATTEMPTS = 3;

/**
 * Removes the machine `config` describes (its MachineName is set). `configFirewall` is the cluster firewall the
 * config names, if any. Clears the stored server and key IDs.
 */
export async function removeMachine(
  calls: ApiCalls,
  config: MachineConfig,
  configFirewall: ClusterFirewallContext | null,
): Promise<void> {
  const { client } = calls;
  const name = config.MachineName;
  calls.logger.info(`Removing server ${name}…`);
  let removed: Server | null = null;
  // A config saved from the flags removes only its own cluster's resources (none: those without a cluster label),
  // as the same machine name may live in another cluster. A config that knows only the name (no server type, which
  // every Create needs) takes whatever carries the machine's labels.
  const clusterId = config.ClusterID;
  const knowsOnlyName = !config.Type;
  const ours = (labels: Record<string, string>) =>
    knowsOnlyName ? isOwnedBy(labels, name) : belongsTo(labels, name, clusterId);

  // One list by the machine's labels finds the stored server and any leftover of a failed Create alike. Only a
  // stored ID the labels do not cover (a machine of the Go driver) needs its own request. With a cluster firewall
  // to update, the list is by the cluster's labels (the machine's servers carry both): it then also serves the
  // firewall step as its first look at the cluster.
  const id = config.ServerID;
  const clusterServers =
    configFirewall && !knowsOnlyName
      ? await client.servers.list({ label_selector: clusterServerSelector(configFirewall) })
      : null;
  const labelled = clusterServers
    ? clusterServers.filter((srv) => isOwnedBy(srv.labels, name))
    : await client.servers.list({ label_selector: machineSelector(name) });
  const targets = labelled.filter((srv) => srv.id === id || (srv.name === name && ours(srv.labels)));
  for (const srv of labelled) {
    if (srv.name === name && !targets.includes(srv)) {
      calls.logger.warn(`Leaving server ${name} (id ${srv.id}) alone: it is ${sameNameOwner(srv, clusterId)}`);
    }
  }
  if (id && !targets.some((srv) => srv.id === id)) {
    const srv = await client.servers.get(id);
    if (srv && (isOwnedBy(srv.labels, name) || srv.name === name)) {
      targets.unshift(srv);
    } else if (srv) {
      calls.logger.warn(
        `Server ${srv.id} is named "${srv.name}" and carries no labels of machine ${name}; leaving it alone`,
      );
    }
  }
  let firewallDone = false;
  const updateFirewall = async (ctx: ClusterFirewallContext, srv: Server | null, opts?: NodeStepOptions) => {
    firewallDone = true;
    try {
      await deregisterNode(ctx, srv, opts);
    } catch (err) {
      // The machine is gone; failing now would leave Rancher retrying a delete that already happened. The
      // firewall converges from the cluster's servers on the next node change.
      calls.logger.warn(`Could not update the cluster firewall after removing ${name}: ${(err as Error).message}`);
    }
  };
  for (const srv of targets) {
    // A single server with a firewall to update: its rule write's poll waits for the delete too, with the list
    // above as the firewall step's first look (taken before any write).
    const single = configFirewall && clusterServers && targets.length === 1 ? configFirewall : null;
    const alongDelete = single
      ? async (action: Action) => {
          const deleting: Alongside = { actions: [action], timeoutMs: calls.timeouts.actionMs };
          await updateFirewall(single, srv, { servers: clusterServers!, alongside: deleting });
          // A failed delete is sent again below; the firewall is then updated once the server is gone.
          if (deleting.finals?.some((a) => a.status === 'error')) firewallDone = false;
          await client.actions.waitFor(deleting.finals ?? [action], { timeoutMs: calls.timeouts.actionMs });
        }
      : undefined;
    if (await deleteServer(calls, srv.id, alongDelete)) calls.logger.info(`Deleted server ${name} (id ${srv.id})`);
    removed = removed ?? srv;
  }

  if (config.KeyDeleted) {
    // Create deleted its key once the server had it (a config it saved after succeeding).
  } else if (config.KeyID && !config.IsExistingKey && config.KeyName) {
    // Our own stored key (KeyName is written only by this driver, after a Create that swept older keys of the
    // machine): its ID needs no lookup.
    if (await deleteKey(calls, config.KeyID)) calls.logger.info(`Deleted SSH key ${config.KeyName}`);
  } else {
    if (config.KeyID && !config.IsExistingKey) {
      const key = await client.sshKeys.get(config.KeyID);
      if (key && (isOwnedBy(key.labels, name) || key.name === name || key.name.startsWith(`${name.slice(0, 50)}-`))) {
        if (await deleteKey(calls, key.id)) calls.logger.info(`Deleted SSH key ${key.name}`);
      }
    }
    // No stored key (Create failed before rancher-machine saved anything): whatever carries the machine's labels.
    for (const key of await client.sshKeys.list({ label_selector: machineSelector(name) })) {
      if (!ours(key.labels)) continue;
      if (await deleteKey(calls, key.id)) calls.logger.info(`Deleted SSH key ${key.name}`);
    }
  }

  // A config saved before Create knows no cluster: the server's own labels say which firewall it was in.
  const fwCtx = configFirewall ?? firewallOfServer(calls, name, removed);
  if (fwCtx && !firewallDone) await updateFirewall(fwCtx, removed);
  // Only groups labelled as auto-created are ever deleted, and only when empty; the user's own are left alone.
  const groupId = removed?.placement_group?.id ?? config.AutoPlacementGroupID;
  if (groupId) {
    try {
      await releaseSpreadGroup(client, calls.logger, groupId);
    } catch (err) {
      calls.logger.warn(`Could not delete the empty placement group ${groupId}: ${(err as Error).message}`);
    }
    config.AutoPlacementGroupID = 0;
  } else if (!removed && (config.PlacementGroupSpread || knowsOnlyName)) {
    // No server and no group known: a Create killed between making a spread group and its server left the group
    // empty, labelled with this machine.
    try {
      const groups = await client.placementGroups.list({ label_selector: machineSpreadSelector(name, clusterId) });
      for (const group of groups) await releaseSpreadGroup(client, calls.logger, group);
    } catch (err) {
      calls.logger.warn(`Could not delete an empty placement group of ${name}: ${(err as Error).message}`);
    }
  }

  if (!removed) calls.logger.info(`Server ${name} not found; nothing left to delete`);
  config.ServerID = 0;
  config.KeyID = 0;
  config.KeyDeleted = false;
}

/**
 * Deletes a server and waits until it is gone. A `delete_server` action that ends in error leaves the server
 * in place (and billed), so the DELETE is sent again, up to DELETE_ACTION_ATTEMPTS times, before giving up: one
 * failed action must not turn a rollback into a server that lives until Rancher's next `rm`.
 */
export async function deleteServer(
  calls: ApiCalls,
  id: number,
  firstWait?: (action: Action) => Promise<void>,
): Promise<boolean> {
  const { client } = calls;
  // `firstWait` waits for the first delete_server action in its own way (with the firewall update), once.
  let wait = firstWait;
  return retryBusy(calls, `delete server ${id}`, async () => {
    try {
      for (let attempt = 1; ; attempt++) {
        const action = await client.servers.delete(id);
        try {
          const own = wait;
          wait = undefined;
          if (own) await own(action);
          else await client.actions.waitFor([action], { timeoutMs: calls.timeouts.actionMs });
          return true;
        } catch (err) {
          if (!(err instanceof ActionError) || attempt >= DELETE_ACTION_ATTEMPTS) throw err;
          calls.logger.debug(`delete server ${id}: ${err.message}; deleting again (attempt ${attempt + 1})`);
          await calls.sleep(calls.timeouts.busyRetryMs * attempt);
        }
      }
    } catch (err) {
      if (isHcloudError(err, 'not_found')) return false;
      if (isHcloudError(err, 'protected')) {
        throw new Error(
          `Server ${id} has delete protection enabled: turn it off in the Hetzner Cloud Console, then remove the ` +
            'machine again',
          { cause: err },
        );
      }
      // A server still being built (its create outlives a killed job or a machine deleted while provisioning)
      // stays locked for minutes: wait for what holds it, then retry, rather than fail and leave it to Rancher.
      if (isHcloudError(err, 'locked')) await waitForRunningActions(calls, id);
      throw err;
    }
  });
}

/** Waits (up to the create timeout) for the server's running actions to end, however they end. */
async function waitForRunningActions(calls: ApiCalls, id: number): Promise<void> {
  const { client } = calls;
  try {
    const running = await client.servers.actions(id, { status: 'running' });
    if (running.length === 0) return;
    calls.logger.info(
      `Server ${id} is busy (${running.map((a) => a.command).join(', ')}); waiting for it before deleting it`,
    );
    await client.actions.waitFor(running, { timeoutMs: calls.timeouts.createMs });
  } catch (err) {
    // A failed create is as good as a finished one here; a timeout or lookup error leaves the ordinary retries.
    calls.logger.debug(`waiting for the actions of server ${id}: ${(err as Error).message}`);
  }
}

/** Deletes an SSH key; false when it was already gone. */
export async function deleteKey(calls: ApiCalls, id: number): Promise<boolean> {
  const { client } = calls;
  return retryBusy(calls, `delete SSH key ${id}`, async () => {
    try {
      await client.sshKeys.delete(id);
      return true;
    } catch (err) {
      if (isHcloudError(err, 'not_found')) return false;
      throw err;
    }
  });
}

/**
 * For a Remove whose config names no cluster (saved before Create, or only the name known): the cluster and the
 * node's role come from the labels of the server it deleted, which the driver wrote. Only the node-only rules
 * follow (no template rules are added), and the firewall is found by the cluster's labels, so only an owned one.
 */
function firewallOfServer(calls: ApiCalls, name: string, server: Server | null): ClusterFirewallContext | null {
  const cluster = server?.labels[CLUSTER_KEY];
  if (!server || !cluster || !isOwnedBy(server.labels, name)) return null;
  calls.logger.info(`Server ${name} belonged to cluster ${cluster} (its labels say so); updating that firewall`);
  return {
    client: calls.client,
    logger: calls.logger,
    clusterId: cluster,
    createFirewall: server.labels[FIREWALL_SELECTOR_KEY] === cluster,
    autoCreateRules: false,
    machineName: name,
    extraFirewallIds: [],
  };
}

/**
 * `rm` takes a Remove error whose text contains "not found" for "already gone" and forgets the machine. A machine
 * that is gone makes Remove succeed instead, so any such wording in a failure is someone else's (a proxy's 404 page,
 * a wrong endpoint) and is rewritten, or rancher-machine would drop a server that still exists.
 */
export function notMistakenForGone(err: unknown): unknown {
  if (!(err instanceof Error) || !/not found/i.test(err.message)) return err;
  return new Error(err.message.replace(/not found/gi, 'not_found'), { cause: err });
}
