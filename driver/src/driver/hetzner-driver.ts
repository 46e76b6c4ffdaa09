// The Hetzner machine driver: what rancher-machine calls to make, watch and delete one Hetzner server.
// Labels are the state: rancher-machine saves nothing when Create fails and deletes with `rm` only, so everything
// made here is labelled, Create rolls back what it made, and Remove finds leftovers by label as well as by ID.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  type Alongside,
  type ClusterFirewallContext,
  clusterServerSelector,
  deregisterNode,
  FIREWALL_SELECTOR_LABEL,
  type NodeStepOptions,
  prepareClusterFirewall,
  registerNode,
} from '../firewall';
import {
  type Action,
  ActionError,
  ActionTimeoutError,
  ENDPOINT_ENV,
  endpointFromEnv,
  HcloudClient,
  type HcloudClientOptions,
  isHcloudError,
  type Server,
  type ServerCreateRequest,
  type SshKey,
  sameEndpoint,
} from '../hcloud';
import { generateEd25519KeyPair, type KeyPair, writeKeyPair } from '../ssh/keys';
import { machineAddresses } from './addresses';
import { applyAttachments, keepPrimaryIps } from './attachments';
import { emptyConfig, type MachineConfig, parseConfig, serializeConfig } from './config';
import { costLine } from './cost';
import { type PlanExtras, planExtras } from './extras';
import { describeCandidate, postWithFallback } from './fallback';
import {
  createFlags,
  DEFAULT_API_ENDPOINT,
  DEFAULT_SSH_PORT,
  DEFAULT_SSH_USER,
  FLAG,
  type FlagSettings,
  readFlags,
} from './flags';
import type { CreateFlag, Driver, DriverOptions, Logger } from './interface';
import { MachineState } from './interface';
import {
  belongsTo,
  CLUSTER_KEY,
  isOwnedBy,
  machineSelector,
  ownershipLabels,
  parseUserLabels,
  sameNameMessage,
  sameNameOwner,
} from './labels';
import { attachPinnedNetworks, createNetworkIds } from './networks';
import { machineSpreadSelector, releaseSpreadGroup, SpreadPlacement } from './placement';
import type { CreatePlan } from './plan';
import { applyRdnsTemplate } from './rdns';
import { stateOfStatus } from './state';
import { problemsError } from './validate';

export interface DriverTimeouts {
  /** Create action plus follow-up actions (start, network attach, firewall apply). */
  createMs: number;
  /** Power actions and deletion. */
  actionMs: number;
  /** How long Stop waits for an ACPI shutdown before it powers the server off. */
  shutdownMs: number;
  /** First and longest interval when polling a server's status. */
  pollInitialMs: number;
  pollMaxMs: number;
  /** Attempts for a delete or power action that meets `locked`/`conflict`. */
  busyAttempts: number;
  /** Wait between those attempts (grows linearly). */
  busyRetryMs: number;
}

/** How often a server's DELETE is sent when its delete_server action fails. */
const DELETE_ACTION_ATTEMPTS = 3;

export const DEFAULT_TIMEOUTS: DriverTimeouts = {
  createMs: 10 * 60_000,
  actionMs: 5 * 60_000,
  shutdownMs: 2 * 60_000,
  pollInitialMs: 500,
  pollMaxMs: 5_000,
  busyAttempts: 10,
  busyRetryMs: 2_000,
};

export interface HetznerDriverOptions {
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  timeouts?: Partial<DriverTimeouts>;
  /** Extra options for the API client (tests shorten its backoff and polling). */
  clientOptions?: Partial<HcloudClientOptions>;
  sleep?: (ms: number) => Promise<void>;
}

interface CheckedPlan {
  plan: CreatePlan;
  /** The fallback pairs and the attachments. */
  extras: PlanExtras;
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

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class HetznerDriver implements Driver {
  private config: MachineConfig = emptyConfig();
  /** From SetConfigFromFlags; user data lives only here, never in the persisted config. */
  private settings: FlagSettings | null = null;
  /** What PreCreateCheck resolved (the plan, its fallback pairs and attachments), for Create in the same process. */
  private checked: CheckedPlan | null = null;
  private cachedClient: { key: string; client: HcloudClient } | null = null;
  private readonly logger: Logger;
  private readonly env: NodeJS.ProcessEnv;
  private readonly timeouts: DriverTimeouts;
  private readonly clientOptions: Partial<HcloudClientOptions>;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(opts: HetznerDriverOptions) {
    this.logger = opts.logger;
    this.env = opts.env ?? process.env;
    const pollMs = Number(this.env.HETZNER_DRIVER_POLL_MS);
    const polled = Number.isInteger(pollMs) && pollMs > 0 ? pollIntervals(pollMs) : null;
    // A per-request bound shorter than the default 30 s, for fault-injection runs where the mock hangs requests.
    const requestMs = Number(this.env.HETZNER_DRIVER_REQUEST_TIMEOUT_MS);
    const requestTimeout = Number.isInteger(requestMs) && requestMs > 0 ? { requestTimeoutMs: requestMs } : {};
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...polled?.timeouts, ...opts.timeouts };
    this.clientOptions = { ...polled?.client, ...requestTimeout, ...opts.clientOptions };
    this.sleep = opts.sleep ?? defaultSleep;
  }

  // ---- identity and configuration -------------------------------------------------------------------------------

  async driverName(): Promise<string> {
    return 'hetzner';
  }

  async getCreateFlags(): Promise<CreateFlag[]> {
    return createFlags();
  }

  async setConfigRaw(json: Uint8Array): Promise<void> {
    this.config = parseConfig(json);
    this.checked = null;
    // Rancher's delete path (`rm`) never calls SetConfigFromFlags: a rotated credential reaches us only via env.
    const token = this.env.HETZNER_API_TOKEN?.trim();
    if (token) this.config.AccessToken = token;
    // The endpoint is this process's own setting, never the stored one: whoever could edit the saved machine
    // state must not be able to send the token elsewhere on the next Remove.
    this.config.APIEndpoint = this.apiEndpoint();
  }

  async getConfigRaw(): Promise<Uint8Array> {
    // Rancher hands the credential to every driver process (create and rm) as HETZNER_API_TOKEN, and SetConfigRaw
    // takes it from there; a copy in the stored machine state would only spread the secret. A token given on the
    // command line alone is still stored, or a later `rm` could not authenticate.
    const envToken = this.env.HETZNER_API_TOKEN?.trim();
    if (envToken && this.config.AccessToken === envToken) {
      return serializeConfig({ ...this.config, AccessToken: '' });
    }
    return serializeConfig(this.config);
  }

  async setConfigFromFlags(opts: DriverOptions): Promise<void> {
    const s = readFlags(opts);
    // rancher-machine fills the token flag from its EnvVar; a caller that sends the bare defaults gets the same.
    if (!s.apiToken) s.apiToken = this.env.HETZNER_API_TOKEN?.trim() || this.config.AccessToken;
    s.apiEndpoint = this.endpointFromFlag(s.apiEndpoint);
    this.settings = s;
    this.checked = null;
    const c = this.config;
    c.AccessToken = s.apiToken;
    c.APIEndpoint = s.apiEndpoint;
    c.Type = s.serverType;
    c.Location = s.location;
    c.Image = s.image;
    c.ImageID = 0;
    c.UsePrivateNetwork = s.usePrivateNetwork;
    c.Networks = [...s.networks];
    c.Firewalls = [...s.firewalls];
    c.CreateFirewall = s.createFirewall;
    c.FirewallName = s.firewallName;
    c.AutoCreateFirewallRules = s.autoCreateFirewallRules;
    c.ClusterID = s.clusterId;
    c.ExistingSSHKey = s.existingSshKey;
    c.DisablePublic4 = s.disablePublicIpv4;
    c.DisablePublic6 = s.disablePublicIpv6;
    c.PlacementGroup = s.placementGroup;
    c.SSHUser = s.sshUser;
    c.SSHPort = s.sshPort;
    c.ServerLabels = parseUserLabels(s.serverLabels).labels;
    c.PlacementGroupSpread = s.placementGroupSpread;
    c.PrimaryIPv4 = s.primaryIpv4;
    c.PrimaryIPv6 = s.primaryIpv6;
    c.Volumes = [...s.volumes];
    c.RDNSTemplate = s.rdnsTemplate;
    c.FirewallAdminCIDRs = [...s.firewallAdminCidrs];
    c.FirewallCloseNodePorts = s.firewallCloseNodeports;
  }

  async getMachineName(): Promise<string> {
    return this.config.MachineName;
  }

  async getIP(): Promise<string> {
    if (!this.config.IPAddress) throw new Error('IPv4 address is not set');
    return this.config.IPAddress;
  }

  async getIPv6(): Promise<string> {
    if (!this.config.IPv6Address) throw new Error('IPv6 address is not set');
    return this.config.IPv6Address;
  }

  async getSSHHostname(): Promise<string> {
    return this.getIP();
  }

  async getSSHKeyPath(): Promise<string> {
    return this.sshKeyPath();
  }

  async getSSHPort(): Promise<number> {
    return this.config.SSHPort || DEFAULT_SSH_PORT;
  }

  async getSSHUsername(): Promise<string> {
    return this.config.SSHUser || DEFAULT_SSH_USER;
  }

  async getURL(): Promise<string> {
    const ip = await this.getIP();
    return ip.includes(':') ? `tcp://[${ip}]:2376` : `tcp://${ip}:2376`;
  }

  /** BaseDriver's rule: `<StorePath>/machines/<MachineName>/id_rsa` unless a path was recorded. */
  private sshKeyPath(): string {
    if (this.config.SSHKeyPath) return this.config.SSHKeyPath;
    if (!this.config.MachineName) return '';
    return join(this.config.StorePath, 'machines', this.config.MachineName, 'id_rsa');
  }

  // ---- checks ---------------------------------------------------------------------------------------------------

  async preCreateCheck(): Promise<void> {
    this.checked = await this.checkedPlan(this.currentSettings(), this.config.MachineName);
    const { plan } = this.checked;
    this.logger.info(
      `Configuration checked: ${plan.serverType.name} in ${plan.location.name}, image ${describeImage(plan)}`,
    );
    this.logger.info(`Price: ${costLine(plan.serverType, plan.location.name)}`);
  }

  /** Plans the create and logs the warnings; any error problem is thrown as one error naming every flag at fault. */
  private async checkedPlan(settings: FlagSettings, machineName: string): Promise<CheckedPlan> {
    const { plan, problems, extras } = await planExtras({ settings, machineName, client: () => this.client() });
    for (const w of problems.filter((p) => p.severity === 'warning')) {
      this.logger.warn(`Warning: ${w.flag}: ${w.message}`);
    }
    const errors = problems.filter((p) => p.severity === 'error');
    if (errors.length > 0 || !plan) throw problemsError(errors);
    return { plan, extras };
  }

  // ---- create ---------------------------------------------------------------------------------------------------

  async create(): Promise<void> {
    const s = this.currentSettings();
    const name = this.config.MachineName;
    if (!name) throw new Error('Create: the machine has no name (SetConfigRaw must set MachineName)');
    // A process that skipped PreCreateCheck (or changed the config since) plans here, with the same checks.
    const { plan, extras } = this.checked ?? (await this.checkedPlan(s, name));
    const client = this.client();
    const made: Made = { keyId: null, serverId: null, firewallPrepared: false, server: null };
    const fwCtx = this.firewallContext(client, plan.firewallIds);
    // Nothing is looked up before the creates: a leftover of an earlier attempt holds the key's or the server's name
    // and turns up as uniqueness_error, which uploadKey and postServer resolve (ours: replaced; anyone else's:
    // refused). The normal path spends no request on leftovers that are not there.
    try {
      const pair = generateEd25519KeyPair(name);
      const keyPath = this.sshKeyPath();
      await writeKeyPair(keyPath, pair);
      this.config.SSHKeyPath = keyPath;
      const key = await this.uploadKey(client, name, pair, made);

      let firewallIds = [...plan.firewallIds];
      let firewallLabels: Record<string, string> = {};
      if (fwCtx) {
        made.firewallPrepared = true;
        const prepared = await prepareClusterFirewall(fwCtx);
        firewallIds = [...new Set([...firewallIds, ...prepared.firewallIds])];
        firewallLabels = prepared.serverLabels;
      }

      const labels = { ...plan.userLabels, ...firewallLabels, ...ownershipLabels(name, s.clusterId) };
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
      if (firewallIds.length > 0) body.firewalls = firewallIds.map((id) => ({ firewall: id }));
      if (plan.placementGroup) body.placement_group = plan.placementGroup.id;
      applyAttachments(body, extras.attachments);
      await keepPrimaryIps(client, this.logger, extras.attachments);
      const spread = s.placementGroupSpread
        ? new SpreadPlacement({
            client,
            logger: this.logger,
            clusterId: s.clusterId,
            machineName: name,
            serverLabels: s.serverLabels,
          })
        : null;

      this.logger.info(
        `Creating server ${name} (${plan.serverType.name}, ${plan.location.name}, ${describeImage(plan)})…`,
      );
      const posted = await postWithFallback({
        body,
        candidates: extras.candidates,
        spread,
        logger: this.logger,
        post: (b) => this.postServer(client, b, made),
        onGroup: (id) => {
          made.placementGroupId = id;
        },
      });
      const { server, actions } = posted.result;
      const chosen = posted.candidate;
      if (chosen.serverType.name !== plan.serverType.name || chosen.location.name !== plan.location.name) {
        this.logger.info(`Server ${name} is ${describeCandidate(chosen)} (capacity fallback)`);
        this.logger.info(`Price: ${costLine(chosen.serverType, chosen.location.name)}`);
      }
      // The pair actually used, so the stored config says what the machine is, not what was wished for.
      this.config.Type = chosen.serverType.name;
      this.config.Location = chosen.location.name;
      this.config.AutoPlacementGroupID = made.placementGroupId ?? 0;
      this.config.ServerID = server.id;
      this.config.ImageID = chosen.image.id;
      this.config.ImageArch = chosen.image.architecture;
      this.config.KeyID = key.id;
      this.config.KeyDeleted = false;
      this.config.KeyName = key.name;
      this.config.IsExistingKey = false;
      this.config.AdditionalKeyIDs = plan.existingKey ? [plan.existingKey.id] : [];

      // create_server and its next actions (start_server, attachments) run one after the other.
      const creating: Alongside = { actions, timeoutMs: this.timeouts.createMs, chained: true };
      if (fwCtx) {
        // The create answer has the server's addresses: register them now, and let the rule write's poll wait for
        // the create's actions too. A create that then fails is rolled back, the firewall entry with it.
        this.logger.info(`Registering server ${name} with the cluster firewall…`);
        await registerNode(fwCtx, server, { alongside: creating });
      }
      this.logger.info(`Waiting for server ${name} (id ${server.id}) to be created and started…`);
      // Already finished when the firewall's poll waited for them: judged without another request.
      await client.actions.waitFor(creating.finals ?? actions, { timeoutMs: this.timeouts.createMs, chained: true });
      if (plan.networkAttachments.length > 0) {
        const attachOpts = { timeoutMs: this.timeouts.createMs, logger: this.logger };
        await attachPinnedNetworks(client, server.id, plan.networkAttachments, attachOpts);
        await this.power(client, server.id, 'poweron', this.timeouts.createMs);
      }
      // The create answer already carries the addresses (Hetzner assigns them with the server) and the finished
      // actions say it is running. The server is read again only when something ran after those actions (pinned
      // networks, a PTR record to set) or the answer lacks an address the machine needs.
      const addrOpts = { usePrivateNetwork: s.usePrivateNetwork, networkIds: plan.networkIds };
      let running: Server | null =
        plan.networkAttachments.length === 0 && !s.rdnsTemplate ? answeredServer(server, addrOpts) : null;
      if (!running) {
        running = await this.waitForStatus(client, server.id, ['running'], this.timeouts.createMs);
        // Label-selector firewalls and network attachments run as background actions that lock the server; only a
        // locked server needs the extra request to find them.
        if (running.locked) {
          const background = await client.servers.actions(server.id, { status: 'running' });
          if (background.length > 0) {
            await client.actions.waitFor(background, { timeoutMs: this.timeouts.createMs });
            running = (await client.servers.get(server.id)) ?? running;
          }
        }
      }
      made.server = running;

      const addr = machineAddresses(running, addrOpts);
      this.config.IPAddress = addr.ip;
      this.config.IPv6Address = addr.ipv6;
      this.config.PrivateIPAddress = addr.privateIp;

      if (s.rdnsTemplate) {
        const rdns = {
          template: s.rdnsTemplate,
          machineName: name,
          clusterId: s.clusterId,
          serverLabels: s.serverLabels,
        };
        await applyRdnsTemplate(client, running, rdns, { timeoutMs: this.timeouts.actionMs, logger: this.logger });
      }

      await this.dropCreateKey(client, key, made);
      this.logger.info(`Server ${name} (id ${server.id}) is running at ${addr.ip}`);
    } catch (err) {
      throw await this.rollback(client, name, made, fwCtx, err);
    }
  }

  /**
   * Uploads the machine's key under the machine's name. A uniqueness_error says who holds the name: our own key
   * (the request reached the API before its answer was lost: same fingerprint) is taken; a key left by an earlier
   * attempt of this machine and cluster is deleted and the upload repeated; anyone else's key keeps its name and
   * ours gets a unique suffix.
   */
  private async uploadKey(client: HcloudClient, name: string, pair: KeyPair, made: Made): Promise<SshKey> {
    const labels = ownershipLabels(name, this.config.ClusterID);
    const post = async (keyName: string): Promise<SshKey> => {
      this.logger.info(`Uploading SSH key ${keyName}…`);
      const key = await this.repeatOnServerError('upload SSH key', () =>
        client.sshKeys.create({ name: keyName, public_key: pair.publicKey, labels }),
      );
      made.keyId = key.id;
      return key;
    };
    const adopt = (existing: SshKey): SshKey => {
      if (belongsTo(existing.labels, name, this.config.ClusterID)) made.keyId = existing.id;
      this.logger.info(`Reusing SSH key ${existing.name} with the same fingerprint`);
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
      if (belongsTo(holder.labels, name, this.config.ClusterID)) {
        this.logger.info(`Removing SSH key ${holder.name} left by an earlier attempt…`);
        await this.deleteKey(client, holder.id);
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

  /**
   * Deletes the key Create uploaded, once the server has it (Hetzner copies keys into a server only when it is
   * made), and records that, so that Remove spends no request on it. A failure only leaves the key to Remove.
   */
  private async dropCreateKey(client: HcloudClient, key: SshKey, made: Made): Promise<void> {
    if (made.keyId !== key.id) return;
    try {
      await this.deleteKey(client, key.id);
      this.config.KeyDeleted = true;
      made.keyId = null;
      this.logger.debug(`Deleted SSH key ${key.name}: the server has it`);
    } catch (err) {
      this.logger.warn(`Could not delete SSH key ${key.name} (Remove deletes it): ${(err as Error).message}`);
    }
  }

  private async postServer(
    client: HcloudClient,
    body: ServerCreateRequest,
    made: Made,
    replacedLeftover = false,
  ): Promise<{ server: Server; actions: Action[] }> {
    const sent = () => client.stats.byEndpoint.get('POST /servers') ?? 0;
    const before = sent();
    try {
      const r = await this.repeatOnServerError('create server', () => client.servers.create(body));
      made.serverId = r.server.id;
      return { server: r.server, actions: [r.action, ...(r.next_actions ?? [])] };
    } catch (err) {
      if (!isHcloudError(err, 'uniqueness_error')) throw err;
      const server = await client.servers.getByName(body.name);
      if (!server) throw err;
      if (!belongsTo(server.labels, body.name, this.config.ClusterID)) {
        // Someone else's server under this name (another cluster's, or made by hand): say whose, leave it alone.
        throw new Error(sameNameMessage(body.name, server, this.config.ClusterID), { cause: err });
      }
      if (sent() - before > 1) {
        // The POST went out more than once: an earlier send was applied and its answer lost. Adopt that server.
        made.serverId = server.id;
        this.logger.info(`Adopting server ${body.name} (id ${server.id}) created by a retried request`);
        // All its actions, finished ones too: a create or start that already failed must fail this Create, not
        // leave it waiting for a status that never comes (found by the soak: a 10-minute wait on a server that
        // stayed off).
        return { server, actions: await client.servers.actions(server.id) };
      }
      // Our single POST met a server of this machine and cluster that an earlier attempt left (made with an older
      // key): delete it and create the machine anew, once.
      if (replacedLeftover) throw err;
      this.logger.info(`Removing server ${body.name} (id ${server.id}) left by an earlier failed attempt…`);
      await this.deleteServer(client, server.id);
      // That attempt's keys too (under any name: older versions and a taken name add a suffix), except this one's.
      for (const key of await client.sshKeys.list({ label_selector: machineSelector(body.name) })) {
        if (key.id === made.keyId || !belongsTo(key.labels, body.name, this.config.ClusterID)) continue;
        this.logger.info(`Removing SSH key ${key.name} left by an earlier attempt…`);
        await this.deleteKey(client, key.id);
      }
      return this.postServer(client, body, made, true);
    }
  }

  /**
   * Removes what this Create made (and any labelled leftovers of this machine), then returns the error to throw:
   * the original one, extended when the cleanup failed too so the user knows what to delete by hand.
   */
  private async rollback(
    client: HcloudClient,
    name: string,
    made: Made,
    fwCtx: ClusterFirewallContext | null,
    cause: unknown,
  ): Promise<Error> {
    const original = cause instanceof Error ? cause : new Error(String(cause));
    const reason =
      original instanceof ActionTimeoutError ? `timed out (${original.message})` : `failed: ${original.message}`;
    this.logger.warn(`Creating server ${name} ${reason}; removing what was created…`);
    const failures: string[] = [];
    let deleted: Server | null = made.server;
    const servers = new Map<number, Server | null>();
    if (made.serverId) servers.set(made.serverId, made.server);
    try {
      // The answer to POST /servers may have been lost: find the server by its labels and name.
      for (const srv of await client.servers.list({ label_selector: machineSelector(name) })) {
        if (srv.name === name && belongsTo(srv.labels, name, this.config.ClusterID)) servers.set(srv.id, srv);
      }
    } catch (e) {
      // The server whose ID we know is still deleted below: a failed lookup must not keep it alive.
      failures.push(`finding servers of ${name}: ${(e as Error).message}`);
    }
    for (const [id, srv] of servers) {
      try {
        if (await this.deleteServer(client, id)) this.logger.info(`Deleted server ${name} (id ${id})`);
        deleted = deleted ?? srv;
      } catch (e) {
        failures.push(`server ${name}: ${(e as Error).message}`);
      }
    }
    try {
      const keyIds = new Set<number>();
      if (made.keyId) keyIds.add(made.keyId);
      for (const k of await client.sshKeys.list({ label_selector: machineSelector(name) })) {
        if (belongsTo(k.labels, name, this.config.ClusterID)) keyIds.add(k.id);
      }
      for (const id of keyIds) if (await this.deleteKey(client, id)) this.logger.info(`Deleted SSH key ${id}`);
    } catch (e) {
      failures.push(`SSH key: ${(e as Error).message}`);
    }
    if (fwCtx && made.firewallPrepared) {
      try {
        await deregisterNode(fwCtx, deleted);
      } catch (e) {
        failures.push(`cluster firewall: ${(e as Error).message}`);
      }
    }
    const groupId = made.placementGroupId ?? deleted?.placement_group?.id;
    if (groupId) {
      try {
        await releaseSpreadGroup(client, this.logger, groupId);
      } catch (e) {
        failures.push(`placement group ${groupId}: ${(e as Error).message}`);
      }
    }
    this.config.AutoPlacementGroupID = 0;
    this.config.ServerID = 0;
    this.config.KeyID = 0;
    this.config.KeyDeleted = false;
    this.config.IPAddress = '';
    this.config.IPv6Address = '';
    this.config.PrivateIPAddress = '';
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

  // ---- remove ---------------------------------------------------------------------------------------------------

  async remove(): Promise<void> {
    try {
      await this.removeMachine();
    } catch (err) {
      throw notMistakenForGone(err);
    }
  }

  private async removeMachine(): Promise<void> {
    const name = this.config.MachineName;
    if (!name) throw new Error('Remove: the machine has no name (SetConfigRaw must set MachineName)');
    const client = this.client();
    this.logger.info(`Removing server ${name}…`);
    let removed: Server | null = null;
    // A config saved from the flags removes only its own cluster's resources (none: those without a cluster label),
    // as the same machine name may live in another cluster. A config that knows only the name (no server type, which
    // every Create needs) takes whatever carries the machine's labels.
    const clusterId = this.config.ClusterID;
    const knowsOnlyName = !this.config.Type;
    const ours = (labels: Record<string, string>) =>
      knowsOnlyName ? isOwnedBy(labels, name) : belongsTo(labels, name, clusterId);

    // One list by the machine's labels finds the stored server and any leftover of a failed Create alike. Only a
    // stored ID the labels do not cover (a machine of the Go driver) needs its own request. With a cluster firewall
    // to update, the list is by the cluster's labels (the machine's servers carry both): it then also serves the
    // firewall step as its first look at the cluster.
    const id = this.config.ServerID;
    const fwConfigured = this.firewallContext(client, []);
    const clusterServers =
      fwConfigured && !knowsOnlyName
        ? await client.servers.list({ label_selector: clusterServerSelector(fwConfigured) })
        : null;
    const labelled = clusterServers
      ? clusterServers.filter((srv) => isOwnedBy(srv.labels, name))
      : await client.servers.list({ label_selector: machineSelector(name) });
    const targets = labelled.filter((srv) => srv.id === id || (srv.name === name && ours(srv.labels)));
    for (const srv of labelled) {
      if (srv.name === name && !targets.includes(srv)) {
        this.logger.warn(`Leaving server ${name} (id ${srv.id}) alone: it is ${sameNameOwner(srv, clusterId)}`);
      }
    }
    if (id && !targets.some((srv) => srv.id === id)) {
      const srv = await client.servers.get(id);
      if (srv && (isOwnedBy(srv.labels, name) || srv.name === name)) {
        targets.unshift(srv);
      } else if (srv) {
        this.logger.warn(
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
        this.logger.warn(`Could not update the cluster firewall after removing ${name}: ${(err as Error).message}`);
      }
    };
    for (const srv of targets) {
      // A single server with a firewall to update: its rule write's poll waits for the delete too, with the list
      // above as the firewall step's first look (taken before any write).
      const single = fwConfigured && clusterServers && targets.length === 1 ? fwConfigured : null;
      const alongDelete = single
        ? async (action: Action) => {
            const deleting: Alongside = { actions: [action], timeoutMs: this.timeouts.actionMs };
            await updateFirewall(single, srv, { servers: clusterServers!, alongside: deleting });
            // A failed delete is sent again below; the firewall is then updated once the server is gone.
            if (deleting.finals?.some((a) => a.status === 'error')) firewallDone = false;
            await client.actions.waitFor(deleting.finals ?? [action], { timeoutMs: this.timeouts.actionMs });
          }
        : undefined;
      if (await this.deleteServer(client, srv.id, alongDelete))
        this.logger.info(`Deleted server ${name} (id ${srv.id})`);
      removed = removed ?? srv;
    }

    if (this.config.KeyDeleted) {
      // Create deleted its key once the server had it (a config it saved after succeeding).
    } else if (this.config.KeyID && !this.config.IsExistingKey && this.config.KeyName) {
      // Our own stored key (KeyName is written only by this driver, after a Create that swept older keys of the
      // machine): its ID needs no lookup.
      if (await this.deleteKey(client, this.config.KeyID)) this.logger.info(`Deleted SSH key ${this.config.KeyName}`);
    } else {
      if (this.config.KeyID && !this.config.IsExistingKey) {
        const key = await client.sshKeys.get(this.config.KeyID);
        if (key && (isOwnedBy(key.labels, name) || key.name === name || key.name.startsWith(`${name.slice(0, 50)}-`))) {
          if (await this.deleteKey(client, key.id)) this.logger.info(`Deleted SSH key ${key.name}`);
        }
      }
      // No stored key (Create failed before rancher-machine saved anything): whatever carries the machine's labels.
      for (const key of await client.sshKeys.list({ label_selector: machineSelector(name) })) {
        if (!ours(key.labels)) continue;
        if (await this.deleteKey(client, key.id)) this.logger.info(`Deleted SSH key ${key.name}`);
      }
    }

    // A config saved before Create knows no cluster: the server's own labels say which firewall it was in.
    const fwCtx = fwConfigured ?? this.firewallContextOfServer(client, removed);
    if (fwCtx && !firewallDone) await updateFirewall(fwCtx, removed);
    // Only groups labelled as auto-created are ever deleted, and only when empty; the user's own are left alone.
    const groupId = removed?.placement_group?.id ?? this.config.AutoPlacementGroupID;
    if (groupId) {
      try {
        await releaseSpreadGroup(client, this.logger, groupId);
      } catch (err) {
        this.logger.warn(`Could not delete the empty placement group ${groupId}: ${(err as Error).message}`);
      }
      this.config.AutoPlacementGroupID = 0;
    } else if (!removed && (this.config.PlacementGroupSpread || knowsOnlyName)) {
      // No server and no group known: a Create killed between making a spread group and its server left the group
      // empty, labelled with this machine.
      try {
        const groups = await client.placementGroups.list({ label_selector: machineSpreadSelector(name, clusterId) });
        for (const group of groups) await releaseSpreadGroup(client, this.logger, group);
      } catch (err) {
        this.logger.warn(`Could not delete an empty placement group of ${name}: ${(err as Error).message}`);
      }
    }

    if (!removed) this.logger.info(`Server ${name} not found; nothing left to delete`);
    this.config.ServerID = 0;
    this.config.KeyID = 0;
    this.config.KeyDeleted = false;
  }

  /**
   * Deletes a server and waits until it is gone. A `delete_server` action that ends in error leaves the server
   * in place (and billed), so the DELETE is sent again, up to DELETE_ACTION_ATTEMPTS times, before giving up: one
   * failed action must not turn a rollback into a server that lives until Rancher's next `rm`.
   */
  private async deleteServer(
    client: HcloudClient,
    id: number,
    firstWait?: (action: Action) => Promise<void>,
  ): Promise<boolean> {
    // `firstWait` waits for the first delete_server action in its own way (with the firewall update), once.
    let wait = firstWait;
    return this.retryBusy(`delete server ${id}`, async () => {
      try {
        for (let attempt = 1; ; attempt++) {
          const action = await client.servers.delete(id);
          try {
            const own = wait;
            wait = undefined;
            if (own) await own(action);
            else await client.actions.waitFor([action], { timeoutMs: this.timeouts.actionMs });
            return true;
          } catch (err) {
            if (!(err instanceof ActionError) || attempt >= DELETE_ACTION_ATTEMPTS) throw err;
            this.logger.debug(`delete server ${id}: ${err.message}; deleting again (attempt ${attempt + 1})`);
            await this.sleep(this.timeouts.busyRetryMs * attempt);
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
        if (isHcloudError(err, 'locked')) await this.waitForRunningActions(client, id);
        throw err;
      }
    });
  }

  /** Waits (up to the create timeout) for the server's running actions to end, however they end. */
  private async waitForRunningActions(client: HcloudClient, id: number): Promise<void> {
    try {
      const running = await client.servers.actions(id, { status: 'running' });
      if (running.length === 0) return;
      this.logger.info(
        `Server ${id} is busy (${running.map((a) => a.command).join(', ')}); waiting for it before deleting it`,
      );
      await client.actions.waitFor(running, { timeoutMs: this.timeouts.createMs });
    } catch (err) {
      // A failed create is as good as a finished one here; a timeout or lookup error leaves the ordinary retries.
      this.logger.debug(`waiting for the actions of server ${id}: ${(err as Error).message}`);
    }
  }

  private async deleteKey(client: HcloudClient, id: number): Promise<boolean> {
    return this.retryBusy(`delete SSH key ${id}`, async () => {
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
   * A 500 on a create may or may not have been applied, so the client does not repeat it. These two creates are
   * safe to repeat: a repeat of an applied one meets uniqueness_error, which uploadKey and postServer resolve by
   * adopting what they made. One 500 then no longer costs the whole machine.
   */
  private repeatOnServerError<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return this.retryOn(['server_error'], 3, what, 'repeating', fn);
  }

  /**
   * Retries `locked` and `conflict`: a server is locked while any action runs on it (a create that is still
   * finishing, a firewall being applied), which ends by itself.
   */
  private retryBusy<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return this.retryOn(['locked', 'conflict'], this.timeouts.busyAttempts, what, 'retrying', fn);
  }

  /** Calls `fn` up to `attempts` times while it fails with one of `codes`, waiting linearly longer each time. */
  private async retryOn<T>(
    codes: string[],
    attempts: number,
    what: string,
    verb: string,
    fn: () => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!isHcloudError(err, ...codes) || attempt >= attempts) throw err;
        this.logger.debug(`${what}: ${err.code}, ${verb} (attempt ${attempt + 1})`);
        await this.sleep(this.timeouts.busyRetryMs * attempt);
      }
    }
  }

  // ---- power and state ------------------------------------------------------------------------------------------

  async getState(): Promise<MachineState> {
    const srv = await this.findServer(this.client());
    return srv ? stateOfStatus(srv.status) : MachineState.NotFound;
  }

  async start(): Promise<void> {
    const client = this.client();
    const srv = await this.requireServer(client);
    if (srv.status === 'running') {
      this.logger.info(`Server ${srv.name} is already running`);
      return;
    }
    this.logger.info(`Starting server ${srv.name}…`);
    await this.power(client, srv.id, 'poweron');
    await this.waitForStatus(client, srv.id, ['running'], this.timeouts.actionMs);
  }

  async stop(): Promise<void> {
    const client = this.client();
    const srv = await this.requireServer(client);
    if (srv.status === 'off') return;
    this.logger.info(`Shutting down server ${srv.name}…`);
    const deadline = Date.now() + this.timeouts.shutdownMs;
    try {
      await this.power(client, srv.id, 'shutdown', this.timeouts.shutdownMs);
      await this.waitForStatus(client, srv.id, ['off'], Math.max(0, deadline - Date.now()));
    } catch (err) {
      if (!(err instanceof StatusTimeoutError || err instanceof ActionTimeoutError)) throw err;
      // ACPI shutdown is a request the OS may ignore or take too long over.
      this.logger.warn(`Server ${srv.name} did not shut down in time; powering it off`);
      await this.power(client, srv.id, 'poweroff');
      await this.waitForStatus(client, srv.id, ['off'], this.timeouts.actionMs);
    }
  }

  async restart(): Promise<void> {
    const client = this.client();
    const srv = await this.requireServer(client);
    // An ACPI reboot needs a running OS; a server that is off is simply started.
    const op = srv.status === 'off' ? 'poweron' : 'reboot';
    this.logger.info(`${op === 'reboot' ? 'Rebooting' : 'Starting'} server ${srv.name}…`);
    await this.power(client, srv.id, op);
    await this.waitForStatus(client, srv.id, ['running'], this.timeouts.actionMs);
  }

  async kill(): Promise<void> {
    const client = this.client();
    const srv = await this.requireServer(client);
    if (srv.status === 'off') {
      this.logger.info(`Server ${srv.name} is already off`);
      return;
    }
    this.logger.info(`Powering off server ${srv.name}…`);
    await this.power(client, srv.id, 'poweroff');
    await this.waitForStatus(client, srv.id, ['off'], this.timeouts.actionMs);
  }

  private async power(
    client: HcloudClient,
    id: number,
    op: 'poweron' | 'poweroff' | 'shutdown' | 'reboot',
    timeoutMs = this.timeouts.actionMs,
  ): Promise<void> {
    const action = await this.retryBusy(`${op} server ${id}`, () => client.servers[op](id));
    await client.actions.waitFor([action], { timeoutMs });
  }

  private async findServer(client: HcloudClient): Promise<Server | null> {
    const name = this.config.MachineName;
    if (this.config.ServerID) {
      const srv = await client.servers.get(this.config.ServerID);
      if (srv) return srv;
    }
    if (!name) return null;
    const found = (await client.servers.list({ label_selector: machineSelector(name) })).find((s) => s.name === name);
    if (found) this.config.ServerID = found.id;
    return found ?? null;
  }

  private async requireServer(client: HcloudClient): Promise<Server> {
    const srv = await this.findServer(client);
    if (!srv) {
      throw new Error(
        `Hetzner server for machine ${this.config.MachineName} not found (id ${this.config.ServerID || 'unknown'})`,
      );
    }
    return srv;
  }

  private async waitForStatus(
    client: HcloudClient,
    id: number,
    wanted: readonly string[],
    timeoutMs: number,
  ): Promise<Server> {
    const deadline = Date.now() + timeoutMs;
    let delay = this.timeouts.pollInitialMs;
    for (;;) {
      const srv = await client.servers.get(id);
      if (!srv) throw new Error(`Hetzner server ${id} not found while waiting for it to be ${wanted.join(' or ')}`);
      if (wanted.includes(srv.status)) return srv;
      if (Date.now() >= deadline) throw new StatusTimeoutError(srv, wanted, timeoutMs);
      await this.sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
      delay = Math.min(this.timeouts.pollMaxMs, delay * 1.5);
    }
  }

  // ---- plumbing -------------------------------------------------------------------------------------------------

  /** Settings from the flags, or, for a later process that only got SetConfigRaw, from the stored config. */
  private currentSettings(): FlagSettings {
    if (this.settings) return this.settings;
    const c = this.config;
    return {
      apiToken: c.AccessToken,
      apiEndpoint: this.apiEndpoint(),
      serverType: c.Type,
      location: c.Location,
      image: c.Image,
      usePrivateNetwork: c.UsePrivateNetwork,
      networks: c.Networks,
      firewalls: c.Firewalls,
      createFirewall: c.CreateFirewall,
      firewallName: c.FirewallName,
      autoCreateFirewallRules: c.AutoCreateFirewallRules,
      clusterId: c.ClusterID,
      existingSshKey: c.ExistingSSHKey,
      disablePublicIpv4: c.DisablePublic4,
      disablePublicIpv6: c.DisablePublic6,
      userData: '',
      placementGroup: c.PlacementGroup,
      sshUser: c.SSHUser || DEFAULT_SSH_USER,
      sshPort: c.SSHPort || DEFAULT_SSH_PORT,
      serverLabels: Object.entries(c.ServerLabels).map(([k, v]) => `${k}=${v}`),
      additionalUserData: '',
      placementGroupSpread: c.PlacementGroupSpread,
      primaryIpv4: c.PrimaryIPv4,
      primaryIpv6: c.PrimaryIPv6,
      volumes: c.Volumes,
      rdnsTemplate: c.RDNSTemplate,
      firewallAdminCidrs: c.FirewallAdminCIDRs,
      firewallCloseNodeports: c.FirewallCloseNodePorts,
    };
  }

  /** Where this process sends the token: HETZNER_API_ENDPOINT (the credential's apiEndpoint), else Hetzner. */
  private apiEndpoint(): string {
    return endpointFromEnv(this.env);
  }

  /**
   * The endpoint flag may only repeat the process's endpoint: Rancher puts credential fields into the machine-config
   * schema too, so a pool could name another host, and rancher-machine fills the flag from HETZNER_API_ENDPOINT (or
   * the default) when the pool does not. Anything else is refused rather than silently replaced, so the person who
   * set it learns that it has no effect and where the setting lives.
   */
  private endpointFromFlag(flag: string): string {
    const own = this.apiEndpoint();
    if (!flag || sameEndpoint(flag, own) || sameEndpoint(flag, DEFAULT_API_ENDPOINT)) return own;
    throw new Error(
      `${FLAG.apiEndpoint} "${flag}" is refused: the API endpoint belongs to the cloud credential (field ` +
        `apiEndpoint, environment variable ${ENDPOINT_ENV}), so that a machine pool cannot send the credential's ` +
        `token elsewhere. This process uses ${own}. Remove the value from the machine pool and set it on the ` +
        `credential (outside Rancher: export ${ENDPOINT_ENV})`,
    );
  }

  private client(): HcloudClient {
    const token = this.config.AccessToken;
    if (!token) {
      throw new Error(
        'No Hetzner API token: set --hetzner-api-token or HETZNER_API_TOKEN (in Rancher: the cloud credential)',
      );
    }
    const endpoint = this.apiEndpoint();
    const key = `${endpoint}\n${token}`;
    if (this.cachedClient?.key !== key) {
      this.cachedClient = {
        key,
        // A single 500 or 503 on a read must not kill a create that takes minutes: the driver's requests are all
        // safe to repeat (creates are adopted by name, deletes treat not_found as done).
        client: new HcloudClient({
          retryServerErrors: true,
          // Concurrent operations of this process (Rancher's plugin server drives several machines) draw on one
          // estimate of the project's budget instead of each overdrawing it.
          rateLimitScope: 'process',
          ...this.clientOptions,
          token,
          endpoint,
          logger: this.logger,
        }),
      };
    }
    return this.cachedClient.client;
  }

  private firewallContext(client: HcloudClient, extraFirewallIds: number[]): ClusterFirewallContext | null {
    const c = this.config;
    if (!c.ClusterID) return null;
    return {
      client,
      logger: this.logger,
      clusterId: c.ClusterID,
      createFirewall: c.CreateFirewall,
      // The name only matters to the node that may create the firewall (the flag has no effect otherwise): every
      // other node finds the cluster's firewall by its labels.
      firewallName: (c.CreateFirewall && c.FirewallName) || undefined,
      autoCreateRules: c.AutoCreateFirewallRules,
      machineName: c.MachineName,
      extraFirewallIds,
      adminCidrs: c.FirewallAdminCIDRs.length > 0 ? c.FirewallAdminCIDRs : undefined,
      openNodePorts: !c.FirewallCloseNodePorts,
    };
  }

  /**
   * For a Remove whose config names no cluster (saved before Create, or only the name known): the cluster and the
   * node's role come from the labels of the server it deleted, which the driver wrote. Only the node-only rules
   * follow (no template rules are added), and the firewall is found by the cluster's labels, so only an owned one.
   */
  private firewallContextOfServer(client: HcloudClient, server: Server | null): ClusterFirewallContext | null {
    const name = this.config.MachineName;
    const cluster = server?.labels[CLUSTER_KEY];
    if (!server || !cluster || !isOwnedBy(server.labels, name)) return null;
    this.logger.info(`Server ${name} belonged to cluster ${cluster} (its labels say so); updating that firewall`);
    return {
      client,
      logger: this.logger,
      clusterId: cluster,
      createFirewall: server.labels[FIREWALL_SELECTOR_LABEL] === cluster,
      autoCreateRules: false,
      machineName: name,
      extraFirewallIds: [],
    };
  }
}

class StatusTimeoutError extends Error {
  constructor(server: Server, wanted: readonly string[], timeoutMs: number) {
    super(
      `Timed out after ${Math.round(timeoutMs / 1000)} s waiting for server ${server.name} (id ${server.id}) to be ` +
        `${wanted.join(' or ')}; it is ${server.status}`,
    );
  }
}

/**
 * HETZNER_DRIVER_POLL_MS shortens every polling interval (actions, status, busy retries), for tests and demos
 * against the mock API whose actions finish in milliseconds. Unset, the defaults suit the real API.
 */
function pollIntervals(ms: number): { timeouts: Partial<DriverTimeouts>; client: Partial<HcloudClientOptions> } {
  return {
    timeouts: { pollInitialMs: ms, pollMaxMs: ms * 4, busyRetryMs: ms },
    client: { poll: { initialMs: ms, maxMs: ms * 4, factor: 1.5 }, backoff: { baseMs: ms, capMs: ms * 20 } },
  };
}

/**
 * `rm` takes a Remove error whose text contains "not found" for "already gone" and forgets the machine. A machine
 * that is gone makes Remove succeed instead, so any such wording in a failure is someone else's (a proxy's 404 page,
 * a wrong endpoint) and is rewritten, or rancher-machine would drop a server that still exists.
 */
function notMistakenForGone(err: unknown): unknown {
  if (!(err instanceof Error) || !/not found/i.test(err.message)) return err;
  return new Error(err.message.replace(/not found/gi, 'not_found'), { cause: err });
}

function randomSuffix(): string {
  return randomBytes(4).toString('hex');
}

function describeImage(plan: CreatePlan): string {
  return plan.image.name ?? plan.image.description ?? String(plan.image.id);
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
