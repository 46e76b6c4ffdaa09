// Create's rollback: what an attempt made, and the undo steps that remove it again, in the order they run.
import { type ClusterFirewallContext, deregisterNode } from '../firewall';
import { ActionTimeoutError, type Server } from '../hcloud';
import type { ApiCalls } from './api-calls';
import type { MachineConfig } from './config';
import { belongsTo, machineSelector } from './labels';
import { releaseSpreadGroup } from './placement';
import { deleteKey, deleteServer } from './remove';

/** What Create made so far, so that a failure removes exactly that. */
export interface Made {
  /** The auto-created spread group the server went into, released again on rollback. */
  placementGroupId?: number | null;
  keyId: number | null;
  serverId: number | null;
  firewallPrepared: boolean;
  server: Server | null;
}

/** What rollback needs of a Create: where to call, the machine's config and name, its firewall and what it made. */
export interface Undoable {
  calls: ApiCalls;
  config: MachineConfig;
  name: string;
  firewall: ClusterFirewallContext | null;
  made: Made;
}

/**
 * Removes what this Create made (and any labelled leftovers of this machine), then returns the error to throw: the
 * original one, extended when the cleanup failed too so the user knows what to delete by hand. Every undo step runs
 * whatever step failed (a lost answer may hide what was made); servers go first, since the firewall converges from
 * the servers that exist and a spread group can only be deleted empty.
 */
export async function rollback(c: Undoable, cause: unknown): Promise<Error> {
  const { name } = c;
  const original = cause instanceof Error ? cause : new Error(String(cause));
  const reason =
    original instanceof ActionTimeoutError ? `timed out (${original.message})` : `failed: ${original.message}`;
  c.calls.logger.warn(`Creating server ${name} ${reason}; removing what was created…`);
  const failures: string[] = [];
  const deleted = await deleteServers(c, failures);
  await deleteKeys(c, failures);
  await leaveFirewall(c, deleted, failures);
  await releaseGroup(c, deleted, failures);
  forgetServer(c.config);
  if (failures.length === 0) {
    return new Error(`Creating server ${name} ${reason}. Everything it created has been removed.`, {
      cause: original,
    });
  }
  return new Error(
    `Creating server ${name} ${reason}. Cleanup also failed (${failures.join('; ')}); delete the resources ` +
      `labelled ${machineSelector(name)} in the Hetzner Cloud Console.`,
    { cause: original },
  );
}

/** Undoes postServer: the server whose ID we know, and any found by the machine's labels. Returns one deleted. */
async function deleteServers(c: Undoable, failures: string[]): Promise<Server | null> {
  const { calls, name, made } = c;
  let deleted: Server | null = made.server;
  const servers = new Map<number, Server | null>();
  if (made.serverId) servers.set(made.serverId, made.server);
  try {
    // The answer to POST /servers may have been lost: find the server by its labels and name.
    for (const srv of await calls.client.servers.list({ label_selector: machineSelector(name) })) {
      if (srv.name === name && belongsTo(srv.labels, name, c.config.ClusterID)) servers.set(srv.id, srv);
    }
  } catch (e) {
    // The server whose ID we know is still deleted below: a failed lookup must not keep it alive.
    failures.push(`finding servers of ${name}: ${(e as Error).message}`);
  }
  for (const [id, srv] of servers) {
    try {
      if (await deleteServer(calls, id)) calls.logger.info(`Deleted server ${name} (id ${id})`);
      deleted = deleted ?? srv;
    } catch (e) {
      failures.push(`server ${name}: ${(e as Error).message}`);
    }
  }
  return deleted;
}

/** Undoes uploadSshKey: the key we made, and any found by the machine's labels. */
async function deleteKeys(c: Undoable, failures: string[]): Promise<void> {
  const { calls, name } = c;
  try {
    const keyIds = new Set<number>();
    if (c.made.keyId) keyIds.add(c.made.keyId);
    for (const k of await calls.client.sshKeys.list({ label_selector: machineSelector(name) })) {
      if (belongsTo(k.labels, name, c.config.ClusterID)) keyIds.add(k.id);
    }
    for (const id of keyIds) if (await deleteKey(calls, id)) calls.logger.info(`Deleted SSH key ${id}`);
  } catch (e) {
    failures.push(`SSH key: ${(e as Error).message}`);
  }
}

/** Undoes prepareFirewall and registerWithFirewall: the firewall converges without the deleted server. */
async function leaveFirewall(c: Undoable, deleted: Server | null, failures: string[]): Promise<void> {
  if (!c.firewall || !c.made.firewallPrepared) return;
  try {
    await deregisterNode(c.firewall, deleted);
  } catch (e) {
    failures.push(`cluster firewall: ${(e as Error).message}`);
  }
}

/** Undoes the spread group postServer may have made: deleted when it is auto-created and empty. */
async function releaseGroup(c: Undoable, deleted: Server | null, failures: string[]): Promise<void> {
  const groupId = c.made.placementGroupId ?? deleted?.placement_group?.id;
  if (!groupId) return;
  try {
    await releaseSpreadGroup(c.calls.client, c.calls.logger, groupId);
  } catch (e) {
    failures.push(`placement group ${groupId}: ${(e as Error).message}`);
  }
}

/** Undoes recordServer and recordAddresses: the config no longer names a server. */
function forgetServer(config: MachineConfig): void {
  config.AutoPlacementGroupID = 0;
  config.ServerID = 0;
  config.KeyID = 0;
  config.KeyDeleted = false;
  config.IPAddress = '';
  config.IPv6Address = '';
  config.PrivateIPAddress = '';
}
