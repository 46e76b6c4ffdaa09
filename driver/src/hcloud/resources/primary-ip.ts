import { first, idPath, type Labels, type ListQuery, orNull, type Requester, toQuery } from './common';

export interface PrimaryIp {
  id: number;
  name: string;
  type: 'ipv4' | 'ipv6';
  ip: string;
  dns_ptr: Array<{ ip: string; dns_ptr: string }>;
  assignee_id: number | null;
  /**
   * What `assignee_id` is. Since 2026-08-01 the API says `unassigned` when the IP is not assigned (it said `server`
   * before, with a null `assignee_id`); Hetzner plans other resource types, so any other string may come too.
   */
  assignee_type: 'server' | 'unassigned' | (string & {});
  auto_delete: boolean;
  blocked: boolean;
  location: { id: number; name: string; network_zone?: string } & Record<string, unknown>;
  labels: Labels;
  protection: { delete: boolean };
  created: string;
}

/** Whether a primary IP is free to give to a server, under both the old and the 2026 `assignee_type`. */
export function isUnassigned(p: Pick<PrimaryIp, 'assignee_id' | 'assignee_type'>): boolean {
  return p.assignee_id === null || p.assignee_type === 'unassigned';
}

export interface PrimaryIpListQuery extends ListQuery {
  ip?: string;
}

export class PrimaryIpClient {
  constructor(private readonly api: Requester) {}

  async get(id: number): Promise<PrimaryIp | null> {
    const r = await orNull(this.api.request<{ primary_ip: PrimaryIp }>('GET', idPath('/primary_ips', id)));
    return r?.primary_ip ?? null;
  }

  async getByName(name: string): Promise<PrimaryIp | null> {
    return first(await this.api.listAll<PrimaryIp>('/primary_ips', 'primary_ips', { name }));
  }

  async getByIp(ip: string): Promise<PrimaryIp | null> {
    return first(await this.api.listAll<PrimaryIp>('/primary_ips', 'primary_ips', { ip }));
  }

  list(q?: PrimaryIpListQuery): Promise<PrimaryIp[]> {
    return this.api.listAll<PrimaryIp>('/primary_ips', 'primary_ips', toQuery(q));
  }

  async update(id: number, req: { name?: string; labels?: Labels; auto_delete?: boolean }): Promise<PrimaryIp> {
    const r = await this.api.request<{ primary_ip: PrimaryIp }>('PUT', idPath('/primary_ips', id), { body: req });
    return r.primary_ip;
  }
}
