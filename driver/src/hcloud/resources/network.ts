import { first, idPath, type Labels, type ListQuery, orNull, type Protection, type Requester, toQuery } from './common';

export interface NetworkSubnet {
  type: 'cloud' | 'server' | 'vswitch';
  ip_range: string;
  network_zone: string;
  gateway: string;
  vswitch_id?: number | null;
}

export interface Network {
  id: number;
  name: string;
  ip_range: string;
  subnets: NetworkSubnet[];
  routes: Array<{ destination: string; gateway: string }>;
  servers: number[];
  load_balancers?: number[];
  labels: Labels;
  protection: Protection;
  created: string;
  expose_routes_to_vswitch?: boolean;
}

export class NetworkClient {
  constructor(private readonly api: Requester) {}

  async get(id: number): Promise<Network | null> {
    return (await orNull(this.api.request<{ network: Network }>('GET', idPath('/networks', id))))?.network ?? null;
  }

  async getByName(name: string): Promise<Network | null> {
    return first(await this.api.listAll<Network>('/networks', 'networks', { name }));
  }

  list(q?: ListQuery): Promise<Network[]> {
    return this.api.listAll<Network>('/networks', 'networks', toQuery(q));
  }
}
