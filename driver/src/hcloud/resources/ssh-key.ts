import { first, idPath, type Labels, type ListQuery, orNull, type Requester, toQuery } from './common';

export interface SshKey {
  id: number;
  name: string;
  /** Legacy MD5 colon-hex fingerprint of the key blob. */
  fingerprint: string;
  public_key: string;
  labels: Labels;
  created: string;
}

export interface SshKeyCreateRequest {
  name: string;
  public_key: string;
  labels?: Labels;
}

export interface SshKeyListQuery extends ListQuery {
  fingerprint?: string;
}

export class SshKeyClient {
  constructor(private readonly api: Requester) {}

  async create(req: SshKeyCreateRequest): Promise<SshKey> {
    return (await this.api.request<{ ssh_key: SshKey }>('POST', '/ssh_keys', { body: req })).ssh_key;
  }

  async get(id: number): Promise<SshKey | null> {
    return (await orNull(this.api.request<{ ssh_key: SshKey }>('GET', idPath('/ssh_keys', id))))?.ssh_key ?? null;
  }

  async getByName(name: string): Promise<SshKey | null> {
    return first(await this.api.listAll<SshKey>('/ssh_keys', 'ssh_keys', { name }));
  }

  async getByFingerprint(fingerprint: string): Promise<SshKey | null> {
    return first(await this.api.listAll<SshKey>('/ssh_keys', 'ssh_keys', { fingerprint }));
  }

  list(q?: SshKeyListQuery): Promise<SshKey[]> {
    return this.api.listAll<SshKey>('/ssh_keys', 'ssh_keys', toQuery(q));
  }

  async delete(id: number): Promise<void> {
    await this.api.request('DELETE', idPath('/ssh_keys', id));
  }
}
