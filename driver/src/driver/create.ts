// Create: makes the machine's server from a checked plan, as named steps. Everything made is labelled with the
// machine, and each step says which rollback step undoes it: a failure anywhere removes what this attempt made.
import { randomBytes } from 'node:crypto';
import { type Alongside, type ClusterFirewallContext, prepareClusterFirewall, registerNode } from '../firewall';
import { type Action, isHcloudError, type Server, type ServerCreateRequest, type SshKey } from '../hcloud';
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
import { SpreadPlacement } from './placement';
import type { CreatePlan } from './plan';
import { applyRdnsTemplate } from './rdns';
import { deleteKey, deleteServer } from './remove';
import { type Made, rollback } from './rollback';

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
  /** Those actions, for the firewall's rule write to wait for too (it records how they ended). */
  creating: Alongside | null;
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
    creating: null,
  };
  // Nothing is looked up before the creates: a leftover of an earlier attempt holds the key's or the server's name
  // and turns up as uniqueness_error, which uploadKey and postOnce resolve (ours: replaced; anyone else's:
  // refused). The normal path spends no request on leftovers that are not there.
  try {
    await uploadSshKey(c); // undone by deleteKeys
    await prepareFirewall(c); // undone by leaveFirewall
    await postServer(c); // undone by deleteServers, and releaseGroup for its spread group
    await registerWithFirewall(c); // undone by leaveFirewall
    const running = await waitUntilRunning(c); // the server's own: deleteServers
    recordAddresses(c, running); // cleared by forgetServer
    await setReverseDns(c, running); // the server's own: deleteServers
    await dropCreateKey(c); // deleteKeys' work, done early: the server has the key
    c.calls.logger.info(`Server ${c.name} (id ${running.id}) is running at ${c.config.IPAddress}`);
  } catch (err) {
    throw await rollback(c, err);
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

/**
 * Uploads the machine's key under the machine's name. A uniqueness_error says who holds the name: our own key
 * (the request reached the API before its answer was lost: same fingerprint) is taken; a key left by an earlier
 * attempt of this machine and cluster is deleted and the upload repeated; anyone else's key keeps its name and
 * ours gets a unique suffix.
 */
async function uploadKey(c: Creation, pair: KeyPair): Promise<SshKey> {
  const { calls, name, made } = c;
  const { client } = calls;
  const labels = ownershipLabels(name, c.config.ClusterID);
  const post = async (keyName: string): Promise<SshKey> => {
    calls.logger.info(`Uploading SSH key ${keyName}…`);
    const key = await repeatOnServerError(calls, 'upload SSH key', () =>
      client.sshKeys.create({ name: keyName, public_key: pair.publicKey, labels }),
    );
    made.keyId = key.id;
    return key;
  };
  const adopt = (existing: SshKey): SshKey => {
    if (belongsTo(existing.labels, name, c.config.ClusterID)) made.keyId = existing.id;
    calls.logger.info(`Reusing SSH key ${existing.name} with the same fingerprint`);
    return existing;
  };
  let retryName: string;
  try {
    return await post(name);
  } catch (err) {
    if (!isHcloudError(err, 'uniqueness_error')) throw err;
    const holder = await client.sshKeys.getByName(name);
    if (!holder) {
      const same = await client.sshKeys.getByFingerprint(pair.fingerprint);
      if (!same) throw err;
      return adopt(same);
    }
    if (holder.fingerprint === pair.fingerprint) return adopt(holder);
    if (belongsTo(holder.labels, name, c.config.ClusterID)) {
      calls.logger.info(`Removing SSH key ${holder.name} left by an earlier attempt…`);
      await deleteKey(calls, holder.id);
      retryName = name;
    } else {
      retryName = `${name.slice(0, 50)}-${randomSuffix()}`;
    }
  }
  try {
    return await post(retryName);
  } catch (err) {
    // As above: a lost answer to this upload.
    if (!isHcloudError(err, 'uniqueness_error')) throw err;
    const same = await client.sshKeys.getByFingerprint(pair.fingerprint);
    if (!same) throw err;
    return adopt(same);
  }
}

/** Finds or creates the shared cluster firewall (create-firewall mode), which the server then gets at create. */
async function prepareFirewall(c: Creation): Promise<void> {
  if (!c.firewall) return;
  c.made.firewallPrepared = true;
  // Hetzner's 5 firewalls per server count label-selector firewalls that match the server's labels: all of them,
  // the user's own labels included.
  // (Set on the context itself: the firewall steps keep what prepare found per context object.)
  c.firewall.serverLabels = { ...c.plan.userLabels, ...ownershipLabels(c.name, c.settings.clusterId) };
  const prepared = await prepareClusterFirewall(c.firewall);
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
  config.KeyDeleted = false;
  config.KeyName = key.name;
  config.IsExistingKey = false;
  config.AdditionalKeyIDs = plan.existingKey ? [plan.existingKey.id] : [];
}

/**
 * One POST /servers, repeated on a 500. A uniqueness_error says who holds the name: a server of ours made by an
 * earlier send of this POST (its answer lost) is adopted; one an earlier attempt of this machine left is deleted
 * with that attempt's keys and the POST sent once more; anyone else's is refused.
 */
async function postOnce(
  c: Creation,
  body: ServerCreateRequest,
  replacedLeftover = false,
): Promise<{ server: Server; actions: Action[] }> {
  const { calls, made } = c;
  const { client } = calls;
  const sent = () => client.stats.byEndpoint.get('POST /servers') ?? 0;
  const before = sent();
  try {
    const r = await repeatOnServerError(calls, 'create server', () => client.servers.create(body));
    made.serverId = r.server.id;
    return { server: r.server, actions: [r.action, ...(r.next_actions ?? [])] };
  } catch (err) {
    if (!isHcloudError(err, 'uniqueness_error')) throw err;
    const server = await client.servers.getByName(body.name);
    if (!server) throw err;
    if (!belongsTo(server.labels, body.name, c.config.ClusterID)) {
      // Someone else's server under this name (another cluster's, or made by hand): say whose, leave it alone.
      throw new Error(sameNameMessage(body.name, server, c.config.ClusterID), { cause: err });
    }
    if (sent() - before > 1) {
      // The POST went out more than once: an earlier send was applied and its answer lost. Adopt that server.
      made.serverId = server.id;
      calls.logger.info(`Adopting server ${body.name} (id ${server.id}) created by a retried request`);
      // All its actions, finished ones too: a create or start that already failed must fail this Create, not
      // leave it waiting for a status that never comes (found by the soak: a 10-minute wait on a server that
      // stayed off).
      return { server, actions: await client.servers.actions(server.id) };
    }
    // Our single POST met a server of this machine and cluster that an earlier attempt left (made with an older
    // key): delete it and create the machine anew, once.
    if (replacedLeftover) throw err;
    calls.logger.info(`Removing server ${body.name} (id ${server.id}) left by an earlier failed attempt…`);
    await deleteServer(calls, server.id);
    // That attempt's keys too (under any name: older versions and a taken name add a suffix), except this one's.
    for (const key of await client.sshKeys.list({ label_selector: machineSelector(body.name) })) {
      if (key.id === made.keyId || !belongsTo(key.labels, body.name, c.config.ClusterID)) continue;
      calls.logger.info(`Removing SSH key ${key.name} left by an earlier attempt…`);
      await deleteKey(calls, key.id);
    }
    return postOnce(c, body, true);
  }
}

/**
 * Adds the server's addresses to the cluster firewall's node rules as soon as the create answer has them; the rule
 * write's poll waits for the create's actions too. A create that then fails is rolled back, the entry with it.
 */
async function registerWithFirewall(c: Creation): Promise<void> {
  const { server, actions } = c.posted!;
  c.creating = { actions, timeoutMs: c.calls.timeouts.createMs, chained: true };
  if (!c.firewall) return;
  c.calls.logger.info(`Registering server ${c.name} with the cluster firewall…`);
  await registerNode(c.firewall, server, { alongside: c.creating });
}

/** Waits for the create's actions, attaches pinned networks (then starts the server) and waits until it runs. */
async function waitUntilRunning(c: Creation): Promise<Server> {
  const { calls, plan, name, settings: s } = c;
  const { client, timeouts } = calls;
  const { server, actions } = c.posted!;
  calls.logger.info(`Waiting for server ${name} (id ${server.id}) to be created and started…`);
  // create_server and its next actions (start_server, attachments) run one after the other. Already finished when
  // the firewall's poll waited for them: judged without another request.
  await client.actions.waitFor(c.creating?.finals ?? actions, { timeoutMs: timeouts.createMs, chained: true });
  if (plan.networkAttachments.length > 0) {
    const attachOpts = { timeoutMs: timeouts.createMs, logger: calls.logger };
    await attachPinnedNetworks(client, server.id, plan.networkAttachments, attachOpts);
    await power(calls, server.id, 'poweron', timeouts.createMs);
  }
  // The create answer already carries the addresses (Hetzner assigns them with the server) and the finished
  // actions say it is running. The server is read again only when something ran after those actions (pinned
  // networks, a PTR record to set) or the answer lacks an address the machine needs.
  const addrOpts = { usePrivateNetwork: s.usePrivateNetwork, networkIds: plan.networkIds };
  let running: Server | null =
    plan.networkAttachments.length === 0 && !s.rdnsTemplate ? answeredServer(server, addrOpts) : null;
  if (!running) {
    running = await waitForStatus(calls, server.id, ['running'], timeouts.createMs);
    // Label-selector firewalls and network attachments run as background actions that lock the server; only a
    // locked server needs the extra request to find them.
    if (running.locked) {
      const background = await client.servers.actions(server.id, { status: 'running' });
      if (background.length > 0) {
        await client.actions.waitFor(background, { timeoutMs: timeouts.createMs });
        running = (await client.servers.get(server.id)) ?? running;
      }
    }
  }
  c.made.server = running;
  return running;
}

/**
 * The server of the create answer as the running machine, when it holds every address the machine reports (each
 * network of the plan included); null when it does not, and the server must be read.
 */
function answeredServer(
  server: Server,
  opts: { usePrivateNetwork: boolean; networkIds: readonly number[] },
): Server | null {
  const inNetworks = opts.networkIds.every((id) => server.private_net?.some((p) => p.network === id && p.ip));
  if (!inNetworks) return null;
  try {
    machineAddresses(server, opts);
  } catch {
    return null;
  }
  return { ...server, status: 'running', locked: false };
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

/**
 * Deletes the key Create uploaded, once the server has it (Hetzner copies keys into a server only when it is
 * made), and records that, so that Remove spends no request on it. A failure only leaves the key to Remove.
 */
async function dropCreateKey(c: Creation): Promise<void> {
  const { calls, made } = c;
  const key = c.key!;
  if (made.keyId !== key.id) return;
  try {
    await deleteKey(calls, key.id);
    c.config.KeyDeleted = true;
    made.keyId = null;
    calls.logger.debug(`Deleted SSH key ${key.name}: the server has it`);
  } catch (err) {
    calls.logger.warn(`Could not delete SSH key ${key.name} (Remove deletes it): ${(err as Error).message}`);
  }
}

function randomSuffix(): string {
  return randomBytes(4).toString('hex');
}

export function describeImage(plan: CreatePlan): string {
  return plan.image.name ?? plan.image.description ?? String(plan.image.id);
}
