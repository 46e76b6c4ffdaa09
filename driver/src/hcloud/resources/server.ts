import type { Action } from './action';
import { first, idPath, type Labels, orNull, type Protection, type Requester, toQuery } from './common';
import type { Image } from './image';
import type { Location } from './location';
import type { ServerType } from './server-type';

export type ServerStatus =
  | 'initializing'
  | 'starting'
  | 'running'
  | 'stopping'
  | 'off'
  | 'deleting'
  | 'migrating'
  | 'rebuilding'
  | 'unknown';

export interface ServerPublicNet {
  ipv4: { id?: number; ip: string; blocked: boolean; dns_ptr: string } | null;
  ipv6: { id?: number; ip: string; blocked: boolean; dns_ptr: Array<{ ip: string; dns_ptr: string }> } | null;
  floating_ips: number[];
  firewalls: Array<{ id: number; status: 'applied' | 'pending' }>;
}

export interface ServerPrivateNet {
  network: number;
  ip: string;
  alias_ips: string[];
  mac_address: string;
}

export interface Server {
  id: number;
  name: string;
  status: ServerStatus;
  created: string;
  public_net: ServerPublicNet;
  private_net: ServerPrivateNet[];
  server_type: ServerType;
  location: Location;
  image: Image | null;
  iso?: unknown;
  rescue_enabled?: boolean;
  locked: boolean;
  backup_window?: string | null;
  outgoing_traffic?: number | null;
  ingoing_traffic?: number | null;
  included_traffic: number | null;
  protection: Protection;
  labels: Labels;
  volumes: number[];
  load_balancers: number[];
  primary_disk_size: number;
  placement_group: { id: number; name: string; type: 'spread'; servers: number[] } | null;
}

export interface ServerCreateRequest {
  name: string;
  /** ID or name. */
  server_type: string | number;
  /** ID or name; a name is resolved per architecture of the server type. */
  image: string | number;
  /** ID or name. `datacenter` is no longer accepted by the API. */
  location?: string | number;
  /** IDs or names. */
  ssh_keys?: Array<string | number>;
  /** cloud-init, at most 32 KiB; never logged. */
  user_data?: string;
  start_after_create?: boolean;
  labels?: Labels;
  automount?: boolean;
  volumes?: number[];
  networks?: number[];
  firewalls?: Array<{ firewall: number }>;
  placement_group?: number;
  public_net?: {
    enable_ipv4: boolean;
    enable_ipv6: boolean;
    ipv4?: number | null;
    ipv6?: number | null;
  };
}

export interface ServerCreateResult {
  server: Server;
  action: Action;
  next_actions: Action[];
  root_password: string | null;
}

export interface ServerListQuery {
  name?: string;
  label_selector?: string;
  status?: ServerStatus | ServerStatus[];
  sort?: string | string[];
}

export interface ServerUpdateRequest {
  name?: string;
  /** Replaces the whole label set. */
  labels?: Labels;
}

export interface AttachToNetworkRequest {
  network: number;
  ip?: string;
  ip_range?: string;
  alias_ips?: string[];
}

export interface PowerOptions {
  /** Retry `423 locked` with backoff, e.g. right after create while background actions hold the lock. */
  retryLocked?: boolean;
  signal?: AbortSignal;
}

export class ServerClient {
  constructor(private readonly api: Requester) {}

  create(req: ServerCreateRequest): Promise<ServerCreateResult> {
    return this.api.request('POST', '/servers', { body: req });
  }

  async get(id: number): Promise<Server | null> {
    return (await orNull(this.api.request<{ server: Server }>('GET', idPath('/servers', id))))?.server ?? null;
  }

  async getByName(name: string): Promise<Server | null> {
    return first(await this.api.listAll<Server>('/servers', 'servers', { name }));
  }

  list(q?: ServerListQuery): Promise<Server[]> {
    return this.api.listAll<Server>('/servers', 'servers', toQuery(q));
  }

  async update(id: number, req: ServerUpdateRequest): Promise<Server> {
    return (await this.api.request<{ server: Server }>('PUT', idPath('/servers', id), { body: req })).server;
  }

  async delete(id: number): Promise<Action> {
    return (await this.api.request<{ action: Action }>('DELETE', idPath('/servers', id))).action;
  }

  poweron(id: number, o?: PowerOptions): Promise<Action> {
    return this.action(id, 'poweron', undefined, o);
  }

  poweroff(id: number, o?: PowerOptions): Promise<Action> {
    return this.action(id, 'poweroff', undefined, o);
  }

  /** ACPI only: success means the request was delivered, not that the server is off. */
  shutdown(id: number, o?: PowerOptions): Promise<Action> {
    return this.action(id, 'shutdown', undefined, o);
  }

  /** ACPI only, like shutdown. */
  reboot(id: number, o?: PowerOptions): Promise<Action> {
    return this.action(id, 'reboot', undefined, o);
  }

  reset(id: number, o?: PowerOptions): Promise<Action> {
    return this.action(id, 'reset', undefined, o);
  }

  attachToNetwork(id: number, req: AttachToNetworkRequest, o?: PowerOptions): Promise<Action> {
    return this.action(id, 'attach_to_network', req, o);
  }

  detachFromNetwork(id: number, req: { network: number }, o?: PowerOptions): Promise<Action> {
    return this.action(id, 'detach_from_network', req, o);
  }

  changeDnsPtr(id: number, req: { ip: string; dns_ptr: string | null }, o?: PowerOptions): Promise<Action> {
    return this.action(id, 'change_dns_ptr', req, o);
  }

  /** Actions of one server, e.g. `{status: 'running'}` to find background work that still holds its lock. */
  actions(id: number, q?: { status?: Action['status'] | Array<Action['status']>; sort?: string }): Promise<Action[]> {
    return this.api.listAll<Action>(idPath('/servers', id, '/actions'), 'actions', toQuery(q));
  }

  private async action(id: number, name: string, body: unknown, o?: PowerOptions): Promise<Action> {
    const r = await this.api.request<{ action: Action }>('POST', idPath('/servers', id, `/actions/${name}`), {
      body,
      retryLocked: o?.retryLocked,
      signal: o?.signal,
    });
    return r.action;
  }
}
