import { first, idPath, type Labels, type ListQuery, orNull, type Requester, toQuery } from './common';

export interface Volume {
  id: number;
  name: string;
  size: number;
  server: number | null;
  location: { id: number; name: string } & Record<string, unknown>;
  linux_device: string;
  format: string | null;
  status: 'creating' | 'available';
  labels: Labels;
  protection: { delete: boolean };
  created: string;
}

export interface VolumeListQuery extends ListQuery {
  status?: Volume['status'] | Array<Volume['status']>;
}

export class VolumeClient {
  constructor(private readonly api: Requester) {}

  async get(id: number): Promise<Volume | null> {
    return (await orNull(this.api.request<{ volume: Volume }>('GET', idPath('/volumes', id))))?.volume ?? null;
  }

  async getByName(name: string): Promise<Volume | null> {
    return first(await this.api.listAll<Volume>('/volumes', 'volumes', { name }));
  }

  list(q?: VolumeListQuery): Promise<Volume[]> {
    return this.api.listAll<Volume>('/volumes', 'volumes', toQuery(q));
  }
}
