// The Hetzner machine driver: what rancher-machine calls to make, watch and delete one Hetzner server.
// Labels are the state: rancher-machine saves nothing when Create fails and deletes with `rm` only, so everything
// made here is labelled, Create rolls back what it made, and Remove finds leftovers by label as well as by ID.
import { join } from 'node:path';
import type { ClusterFirewallContext } from '../firewall';
import {
  ActionTimeoutError,
  ENDPOINT_ENV,
  endpointFromEnv,
  HcloudClient,
  type HcloudClientOptions,
  type Server,
  sameEndpoint,
} from '../hcloud';
import type { Logger } from '../log';
import {
  type ApiCalls,
  DEFAULT_TIMEOUTS,
  type DriverTimeouts,
  power,
  StatusTimeoutError,
  waitForStatus,
} from './api-calls';
import {
  emptyConfig,
  type MachineConfig,
  parseConfig,
  serializeConfig,
  settingsOfConfig,
  storeSettings,
} from './config';
import { costLine } from './cost';
import { createMachine, describeImage } from './create';
import {
  createFlags,
  DEFAULT_API_ENDPOINT,
  DEFAULT_SSH_PORT,
  DEFAULT_SSH_USER,
  FLAG,
  type FlagSettings,
  readFlagFromEnv,
  readFlags,
} from './flags';
import type { CreateFlag, Driver, DriverOptions } from './interface';
import { MachineState } from './interface';
import { machineSelector } from './labels';
import { type CreatePlan, planCreate } from './plan';
import { notMistakenForGone, removeMachine } from './remove';
import { stateOfStatus } from './state';
import { problemsError } from './validate';

export { DEFAULT_TIMEOUTS, type DriverTimeouts } from './api-calls';

export interface HetznerDriverOptions {
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  timeouts?: Partial<DriverTimeouts>;
  /** Extra options for the API client (tests shorten its backoff and polling). */
  clientOptions?: Partial<HcloudClientOptions>;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class HetznerDriver implements Driver {
  private config: MachineConfig = emptyConfig();
  /** From SetConfigFromFlags; user data lives only here, never in the persisted config. */
  private settings: FlagSettings | null = null;
  /** What PreCreateCheck resolved (the plan, its fallback pairs and attachments), for Create in the same process. */
  private checked: CreatePlan | null = null;
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
    const token = this.envToken();
    if (token) this.config.AccessToken = token;
    // The endpoint is this process's own setting, never the stored one: whoever could edit the saved machine
    // state must not be able to send the token elsewhere on the next Remove.
    this.config.APIEndpoint = this.apiEndpoint();
  }

  async getConfigRaw(): Promise<Uint8Array> {
    // Rancher hands the credential to every driver process (create and rm) as HETZNER_API_TOKEN, and SetConfigRaw
    // takes it from there; a copy in the stored machine state would only spread the secret. A token given on the
    // command line alone is still stored, or a later `rm` could not authenticate.
    const envToken = this.envToken();
    if (envToken && this.config.AccessToken === envToken) {
      return serializeConfig({ ...this.config, AccessToken: '' });
    }
    return serializeConfig(this.config);
  }

  async setConfigFromFlags(opts: DriverOptions): Promise<void> {
    const s = readFlags(opts);
    // rancher-machine fills the token flag from its EnvVar; a caller that sends the bare defaults gets the same.
    if (!s.apiToken) s.apiToken = this.envToken() || this.config.AccessToken;
    s.apiEndpoint = this.endpointFromFlag(s.apiEndpoint);
    this.settings = s;
    this.checked = null;
    storeSettings(this.config, s);
    this.config.ImageID = 0;
  }

  /** The token of the credential (HETZNER_API_TOKEN), read as the token flag is; '' when unset. */
  private envToken(): string {
    return readFlagFromEnv('apiToken', this.env);
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
    const plan = await this.checkedPlan(this.currentSettings(), this.config.MachineName);
    this.checked = plan;
    this.logger.info(
      `Configuration checked: ${plan.serverType.name} in ${plan.location.name}, image ${describeImage(plan)}`,
    );
    this.logger.info(`Price: ${costLine(plan.serverType, plan.location.name)}`);
  }

  /** Plans the create and logs the warnings; any error problem is thrown as one error naming every flag at fault. */
  private async checkedPlan(settings: FlagSettings, machineName: string): Promise<CreatePlan> {
    const { plan, problems } = await planCreate({ settings, machineName, client: () => this.client() });
    for (const w of problems.filter((p) => p.severity === 'warning')) {
      this.logger.warn(`Warning: ${w.flag}: ${w.message}`);
    }
    const errors = problems.filter((p) => p.severity === 'error');
    if (errors.length > 0 || !plan) throw problemsError(errors);
    return plan;
  }

  // ---- create and remove ---------------------------------------------------------------------------------------

  async create(): Promise<void> {
    const s = this.currentSettings();
    const name = this.config.MachineName;
    if (!name) throw new Error('Create: the machine has no name (SetConfigRaw must set MachineName)');
    // A process that skipped PreCreateCheck (or changed the config since) plans here, with the same checks.
    const plan = this.checked ?? (await this.checkedPlan(s, name));
    const calls = this.calls();
    await createMachine({
      calls,
      config: this.config,
      settings: s,
      plan,
      keyPath: this.sshKeyPath(),
      firewall: this.firewallContext(calls.client, plan.firewallIds),
    });
  }

  async remove(): Promise<void> {
    try {
      if (!this.config.MachineName) {
        throw new Error('Remove: the machine has no name (SetConfigRaw must set MachineName)');
      }
      const calls = this.calls();
      await removeMachine(calls, this.config, this.firewallContext(calls.client, []));
    } catch (err) {
      throw notMistakenForGone(err);
    }
  }

  // ---- power and state ------------------------------------------------------------------------------------------

  async getState(): Promise<MachineState> {
    const srv = await this.findServer(this.client());
    return srv ? stateOfStatus(srv.status) : MachineState.NotFound;
  }

  async start(): Promise<void> {
    const calls = this.calls();
    const srv = await this.requireServer(calls.client);
    if (srv.status === 'running') {
      this.logger.info(`Server ${srv.name} is already running`);
      return;
    }
    this.logger.info(`Starting server ${srv.name}…`);
    await power(calls, srv.id, 'poweron');
    await waitForStatus(calls, srv.id, ['running'], this.timeouts.actionMs);
  }

  async stop(): Promise<void> {
    const calls = this.calls();
    const srv = await this.requireServer(calls.client);
    if (srv.status === 'off') return;
    this.logger.info(`Shutting down server ${srv.name}…`);
    const deadline = Date.now() + this.timeouts.shutdownMs;
    try {
      await power(calls, srv.id, 'shutdown', this.timeouts.shutdownMs);
      await waitForStatus(calls, srv.id, ['off'], Math.max(0, deadline - Date.now()));
    } catch (err) {
      if (!(err instanceof StatusTimeoutError || err instanceof ActionTimeoutError)) throw err;
      // ACPI shutdown is a request the OS may ignore or take too long over.
      this.logger.warn(`Server ${srv.name} did not shut down in time; powering it off`);
      await power(calls, srv.id, 'poweroff');
      await waitForStatus(calls, srv.id, ['off'], this.timeouts.actionMs);
    }
  }

  async restart(): Promise<void> {
    const calls = this.calls();
    const srv = await this.requireServer(calls.client);
    // An ACPI reboot needs a running OS; a server that is off is simply started.
    const op = srv.status === 'off' ? 'poweron' : 'reboot';
    this.logger.info(`${op === 'reboot' ? 'Rebooting' : 'Starting'} server ${srv.name}…`);
    await power(calls, srv.id, op);
    await waitForStatus(calls, srv.id, ['running'], this.timeouts.actionMs);
  }

  async kill(): Promise<void> {
    const calls = this.calls();
    const srv = await this.requireServer(calls.client);
    if (srv.status === 'off') {
      this.logger.info(`Server ${srv.name} is already off`);
      return;
    }
    this.logger.info(`Powering off server ${srv.name}…`);
    await power(calls, srv.id, 'poweroff');
    await waitForStatus(calls, srv.id, ['off'], this.timeouts.actionMs);
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

  // ---- plumbing -------------------------------------------------------------------------------------------------

  /** Settings from the flags, or, for a later process that only got SetConfigRaw, from the stored config. */
  private currentSettings(): FlagSettings {
    return this.settings ?? { ...settingsOfConfig(this.config), apiEndpoint: this.apiEndpoint() };
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
          debug: (line) => this.logger.debug(line),
        }),
      };
    }
    return this.cachedClient.client;
  }

  /** The client with the logger, timeouts and sleep, for the calls that wait (api-calls.ts). */
  private calls(): ApiCalls {
    return { client: this.client(), logger: this.logger, timeouts: this.timeouts, sleep: this.sleep };
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
