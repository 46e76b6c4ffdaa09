import { type Deprecation, first, idPath, type ListQuery, orNull, type Requester, toQuery } from './common';

export interface Price {
  net: string;
  gross: string;
}

export interface ServerTypePrice {
  location: string;
  price_hourly: Price;
  price_monthly: Price;
  included_traffic?: number;
  price_per_tb_traffic?: Price;
}

/** Per-location availability: the current source of truth for where a type can be ordered. */
export interface ServerTypeLocation {
  id: number;
  name: string;
  deprecation: Deprecation | null;
  available?: boolean;
  recommended?: boolean;
}

export interface ServerType {
  id: number;
  name: string;
  description: string;
  category?: string;
  cores: number;
  memory: number;
  disk: number;
  storage_type: 'local' | 'network';
  cpu_type: 'shared' | 'dedicated';
  architecture: 'x86' | 'arm';
  prices: ServerTypePrice[];
  /** Legacy, being phased out in favour of `locations[].deprecation`. */
  deprecated?: boolean | null;
  /** Legacy, being phased out in favour of `locations[].deprecation`. */
  deprecation?: Deprecation | null;
  locations: ServerTypeLocation[];
}

export class ServerTypeClient {
  constructor(private readonly api: Requester) {}

  async get(id: number): Promise<ServerType | null> {
    const r = await orNull(this.api.request<{ server_type: ServerType }>('GET', idPath('/server_types', id)));
    return r?.server_type ?? null;
  }

  async getByName(name: string): Promise<ServerType | null> {
    return first(await this.api.listAll<ServerType>('/server_types', 'server_types', { name }));
  }

  list(q?: Pick<ListQuery, 'name'>): Promise<ServerType[]> {
    return this.api.listAll<ServerType>('/server_types', 'server_types', toQuery(q));
  }
}
