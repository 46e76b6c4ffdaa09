// Create: makes the machine's server from a checked plan, as named steps. Everything made is labelled with the
// machine, and each step says which rollback step undoes it: a failure anywhere removes what this attempt made.

import { randomBytes } from 'node:crypto';
import { type ClusterFirewallContext, deregisterNode, prepareClusterFirewall, registerNode } from '../firewall';
import {
  type Action,
  ActionTimeoutError,
  isHcloudError,
  type Server,
  type ServerCreateRequest,
  type SshKey,
} from '../hcloud';
import { generateEd25519KeyPair, type KeyPair, writeKeyPair } from '../ssh/keys';
import { machineAddresses } from './addresses';
import { type ApiCalls, power, repeatOnServerError, waitForStatus } from './api-calls';
import { applyAttachments, keepPrimaryIps } from './attachments';
import type { MachineConfig } from './config';
import { costLine } from './cost';
import { type Candidate, describeCandidate, postWithFallback } from './fallback';
import type { FlagSettings } from './flags';
import { belongsTo, machineSelector, ownershipLabels, sameNameMessage } from './labels';
import { attachPinnedNetworks, createNetworkIds } from './networks';
import { releaseSpreadGroup, SpreadPlacement } from './placement';
import type { CreatePlan } from './plan';
import { applyRdnsTemplate } from './rdns';
import { deleteKey, deleteServer } from './remove';

export interface CreateInput {
  calls: ApiCalls;
  /** The machine's stored state: Create records in it what it made (and clears that again on rollback). */
  config: MachineConfig;
  settings: FlagSettings;
  plan: CreatePlan;
  /** Where the machine's SSH private key is written. */
  keyPath: string;
  /** The cluster firewall the machine joins, if it names a cluster. */
  firewall: ClusterFirewallContext | null;
}

/** What Create made so far, so that a failure removes exactly that. */
interface Made {
  /** The auto-created spread group the server went into, released again on rollback. */
  placementGroupId?: number | null;
  keyId: number | null;
  serverId: number | null;
  firewallPrepared: boolean;
  server: Server | null;
}

/** One Create as its steps go: the input, what was made, and what each step hands to the next. */
interface Creation extends CreateInput {
  name: string;
  made: Made;
  key: SshKey | null;
  /** Firewalls and labels the server is created with (the cluster firewall's included once prepared). */
  firewallIds: number[];
  firewallLabels: Record<string, string>;
  /** The server as POST /servers answered, with the actions it started. */
  posted: { server: Server; actions: Action[] } | null;
}

/** Creates the machine's server, or removes what it made and throws. */
export async function createMachine(input: CreateInput): Promise<void> {
  const c: Creation = {
    ...input,
    name: input.config.MachineName,
    made: { keyId: null, serverId: null, firewallPrepared: false, server: null },
    key: null,
    firewallIds: [...input.plan.firewallIds],
    firewallLabels: {},
    posted: null,
  };
  // Before anything is made: a failure here leaves nothing of this attempt to roll back.
  try {
    await removeLeftovers(c);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(
      `Creating server ${c.name} failed while removing what an earlier attempt left: ${message}. Nothing new was ` +
        'created; try again, or delete the leftovers by hand if this keeps happening.',
      { cause: err },
    );
  }
  try {
    await uploadSshKey(c); // undone by deleteKeys
    await prepareFirewall(c); // undone by leaveFirewall
    await postServer(c); // undone by deleteServers, and releaseSpreadGroup for its group
    const running = await waitUntilRunning(c); // the server's own: deleteServers
    recordAddresses(c, running); // cleared by forgetServer
    await setReverseDns(c, running); // the server's own: deleteServers
    await registerWithFirewall(c, running); // undone by leaveFirewall
    c.calls.logger.info(`Server ${c.name} (id ${running.id}) is running at ${c.config.IPAddress}`);
  } catch (err) {
    throw await rollback(c, err);
  }
}

/**
 * Earlier failed attempts may have left a server or keys with our labels; a new attempt starts clean. A leftover
 * carries this machine's AND this cluster's labels: the same machine name in another cluster is someone else's.
 */
async function removeLeftovers(c: Creation): Promise<void> {
  const { calls, name } = c;
  const clusterId = c.config.ClusterID;
  // `existingServer` comes from the plan's lookup of the name, made moments ago in this same process; the plan keeps
  // it only when it is this machine's of this cluster (anything else under the name is an error there).
  const existing = c.plan.existingServer;
  if (existing && belongsTo(existing.labels, name, clusterId)) {
    calls.logger.info(`Removing server ${name} (id ${existing.id}) left by an earlier failed attempt…`);
    await deleteServer(calls, existing.id);
  }
  for (const key of await calls.client.sshKeys.list({ label_selector: machineSelector(name) })) {
    if (!belongsTo(key.labels, name, clusterId)) continue;
    calls.logger.info(`Removing SSH key ${key.name} left by an earlier attempt…`);
    await deleteKey(calls, key.id);
  }
}

// ---- the steps, in the order createMachine runs them ----------------------------------------------------------------

/** Writes the machine's new key pair where rancher-machine looks for it and uploads the public key. */
async function uploadSshKey(c: Creation): Promise<void> {
  const pair = generateEd25519KeyPair(c.name);
  await writeKeyPair(c.keyPath, pair);
  c.config.SSHKeyPath = c.keyPath;
  c.key = await uploadKey(c, pair);
}

async function uploadKey(c: Creation, pair: KeyPair): Promise<SshKey> {
  const { calls, name, made } = c;
  const { client } = calls;
  // A unique suffix per attempt: a retried Create never collides with the name of an earlier key.
  const keyName = `${name.slice(0, 50)}-${randomSuffix()}`;
  calls.logger.info(`Uploading SSH key ${keyName}…`);
  try {
    const key = await repeatOnServerError(calls, 'upload SSH key', () =>
      client.sshKeys.create({
        name: keyName,
        public_key: pair.publicKey,
        labels: ownershipLabels(name, c.config.ClusterID),
      }),
    );
    made.keyId = key.id;
    return key;
  } catch (err) {
    // The request may have reached the API before its answer was lost: the retry then meets our own key.
    if (!isHcloudError(err, 'uniqueness_error')) throw err;
    const existing = await client.sshKeys.getByFingerprint(pair.fingerprint);
    if (!existing) throw err;
    if (belongsTo(existing.labels, name, c.config.ClusterID)) made.keyId = existing.id;
    calls.logger.info(`Reusing SSH key ${existing.name} with the same fingerprint`);
    return existing;
  }
}

/** Finds or creates the shared cluster firewall (create-firewall mode), which the server then gets at create. */
async function prepareFirewall(c: Creation): Promise<void> {
  if (!c.firewall) return;
  c.made.firewallPrepared = true;
  // Hetzner's 5 firewalls per server count label-selector firewalls that match the server's labels: all of them,
  // the user's own labels included.
  const serverLabels = { ...c.plan.userLabels, ...ownershipLabels(c.name, c.settings.clusterId) };
  const prepared = await prepareClusterFirewall({ ...c.firewall, serverLabels });
  c.firewallIds = [...new Set([...c.firewallIds, ...prepared.firewallIds])];
  c.firewallLabels = prepared.serverLabels;
}

/**
 * POSTs the server, trying the plan's fallback pairs in turn (and, with spread placement, a group with room), and
 * records in the config what was made. The primary IPs it gets are switched to keep first: they are the user's.
 */
async function postServer(c: Creation): Promise<void> {
  const { calls, settings: s, plan, name, made } = c;
  const key = c.key!;
  const labels = { ...plan.userLabels, ...c.firewallLabels, ...ownershipLabels(name, s.clusterId) };
  const body: ServerCreateRequest = {
    name,
    server_type: plan.serverType.name,
    image: plan.image.id,
    location: plan.location.name,
    ssh_keys: [key.id, ...(plan.existingKey ? [plan.existingKey.id] : [])],
    // Pinned networks are attached before the first boot, so their interfaces are there when cloud-init runs.
    start_after_create: plan.networkAttachments.length === 0,
    labels,
    public_net: { enable_ipv4: !s.disablePublicIpv4, enable_ipv6: !s.disablePublicIpv6 },
  };
  if (plan.userData) body.user_data = plan.userData;
  const createNetworks = createNetworkIds(plan.networkIds, plan.networkAttachments);
  if (createNetworks.length > 0) body.networks = createNetworks;
  if (c.firewallIds.length > 0) body.firewalls = c.firewallIds.map((id) => ({ firewall: id }));
  if (plan.placementGroup) body.placement_group = plan.placementGroup.id;
  applyAttachments(body, plan.attachments);
  await keepPrimaryIps(calls.client, calls.logger, plan.attachments);
  const spread = s.placementGroupSpread
    ? new SpreadPlacement({
        client: calls.client,
        logger: calls.logger,
        clusterId: s.clusterId,
        machineName: name,
        serverLabels: s.serverLabels,
      })
    : null;

  calls.logger.info(
    `Creating server ${name} (${plan.serverType.name}, ${plan.location.name}, ${describeImage(plan)})…`,
  );
  const posted = await postWithFallback({
    body,
    candidates: plan.candidates,
    spread,
    logger: calls.logger,
    post: (b) => postOnce(c, b),
    onGroup: (id) => {
      made.placementGroupId = id;
    },
  });
  c.posted = posted.result;
  recordServer(c, posted.candidate, posted.result.server, key);
}

/** The stored config says what the machine is: the pair actually used, not what was wished for. */
function recordServer(c: Creation, chosen: Candidate, server: Server, key: SshKey): void {
  const { config, plan, calls, name } = c;
  if (chosen.serverType.name !== plan.serverType.name || chosen.location.name !== plan.location.name) {
    calls.logger.info(`Server ${name} is ${describeCandidate(chosen)} (capacity fallback)`);
    calls.logger.info(`Price: ${costLine(chosen.serverType, chosen.location.name)}`);
  }
  config.Type = chosen.serverType.name;
  config.Location = chosen.location.name;
  config.AutoPlacementGroupID = c.made.placementGroupId ?? 0;
  config.ServerID = server.id;
  config.ImageID = chosen.image.id;
  config.ImageArch = chosen.image.architecture;
  config.KeyID = key.id;
  config.KeyName = key.name;
  config.IsExistingKey = false;
  config.AdditionalKeyIDs = plan.existingKey ? [plan.existingKey.id] : [];
}

/** One POST /servers, repeated on a 500; a repeat that meets our own server (by name and labels) adopts it. */
async function postOnce(c: Creation, body: ServerCreateRequest): Promise<{ server: Server; actions: Action[] }> {
  const { calls, made } = c;
  const { client } = calls;
  try {
    const r = await repeatOnServerError(calls, 'create server', () => client.servers.create(body));
    made.serverId = r.server.id;
    return { server: r.server, actions: [r.action, ...(r.next_actions ?? [])] };
  } catch (err) {
    // A retried POST whose first attempt succeeded: adopt the server if it is provably ours.
    if (!isHcloudError(err, 'uniqueness_error')) throw err;
    const server = await client.servers.getByName(body.name);
    if (!server) throw err;
    if (!belongsTo(server.labels, body.name, c.config.ClusterID)) {
      // Made by someone else since PreCreateCheck looked: say whose, and leave it alone.
      throw new Error(sameNameMessage(body.name, server, c.config.ClusterID), { cause: err });
    }
    made.serverId = server.id;
    calls.logger.info(`Adopting server ${body.name} (id ${server.id}) created by a retried request`);
    // All its actions, finished ones too: a create or start that already failed must fail this Create, not leave
    // it waiting for a status that never comes (found by the soak: a 10-minute wait on a server that stayed off).
    return { server, actions: await client.servers.actions(server.id) };
  }
}

/** Waits for the create's actions, attaches pinned networks (then starts the server) and waits until it runs. */
async function waitUntilRunning(c: Creation): Promise<Server> {
  const { calls, plan, name } = c;
  const { client, timeouts } = calls;
  const { server, actions } = c.posted!;
  calls.logger.info(`Waiting for server ${name} (id ${server.id}) to be created and started…`);
  // create_server and its next actions (start_server, attachments) run one after the other.
  await client.actions.waitFor(actions, { timeoutMs: timeouts.createMs, chained: true });
  if (plan.networkAttachments.length > 0) {
    const attachOpts = { timeoutMs: timeouts.createMs, logger: calls.logger };
    await attachPinnedNetworks(client, server.id, plan.networkAttachments, attachOpts);
    await power(calls, server.id, 'poweron', timeouts.createMs);
  }
  let running = await waitForStatus(calls, server.id, ['running'], timeouts.createMs);
  // Label-selector firewalls and network attachments run as background actions that lock the server; only a
  // locked server needs the extra request to find them.
  if (running.locked) {
    const background = await client.servers.actions(server.id, { status: 'running' });
    if (background.length > 0) {
      await client.actions.waitFor(background, { timeoutMs: timeouts.createMs });
      running = (await client.servers.get(server.id)) ?? running;
    }
  }
  c.made.server = running;
  return running;
}

function recordAddresses(c: Creation, running: Server): void {
  const addr = machineAddresses(running, {
    usePrivateNetwork: c.settings.usePrivateNetwork,
    networkIds: c.plan.networkIds,
  });
  c.config.IPAddress = addr.ip;
  c.config.IPv6Address = addr.ipv6;
  c.config.PrivateIPAddress = addr.privateIp;
}

/** The PTR records of the server's public addresses, from the template flag. */
async function setReverseDns(c: Creation, running: Server): Promise<void> {
  const { settings: s, calls } = c;
  if (!s.rdnsTemplate) return;
  const rdns = { template: s.rdnsTemplate, machineName: c.name, clusterId: s.clusterId, serverLabels: s.serverLabels };
  await applyRdnsTemplate(calls.client, running, rdns, { timeoutMs: calls.timeouts.actionMs, logger: calls.logger });
}

/** Adds the server's addresses to the cluster firewall's node rules. */
async function registerWithFirewall(c: Creation, running: Server): Promise<void> {
  if (!c.firewall) return;
  c.calls.logger.info(`Registering server ${c.name} with the cluster firewall…`);
  await registerNode(c.firewall, running);
}

// ---- rollback: the undo steps, in the order they run --------------------------------------------------------------

/**
 * Removes what this Create made (and any labelled leftovers of this machine), then returns the error to throw: the
 * original one, extended when the cleanup failed too so the user knows what to delete by hand. Every undo step runs
 * whatever step failed (a lost answer may hide what was made); servers go first, since the firewall converges from
 * the servers that exist and a spread group can only be deleted empty.
 */
async function rollback(c: Creation, cause: unknown): Promise<Error> {
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
async function deleteServers(c: Creation, failures: string[]): Promise<Server | null> {
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
async function deleteKeys(c: Creation, failures: string[]): Promise<void> {
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
async function leaveFirewall(c: Creation, deleted: Server | null, failures: string[]): Promise<void> {
  if (!c.firewall || !c.made.firewallPrepared) return;
  try {
    await deregisterNode(c.firewall, deleted);
  } catch (e) {
    failures.push(`cluster firewall: ${(e as Error).message}`);
  }
}

/** Undoes the spread group postServer may have made: deleted when it is auto-created and empty. */
async function releaseGroup(c: Creation, deleted: Server | null, failures: string[]): Promise<void> {
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
  config.IPAddress = '';
  config.IPv6Address = '';
  config.PrivateIPAddress = '';
}

function randomSuffix(): string {
  return randomBytes(4).toString('hex');
}

export function describeImage(plan: CreatePlan): string {
  return plan.image.name ?? plan.image.description ?? String(plan.image.id);
}
