import { idPath, type Labels, orNull, type Requester, toQuery } from './common';

export interface Image {
  id: number;
  type: 'system' | 'snapshot' | 'backup' | 'app';
  status: 'available' | 'creating' | 'unavailable';
  /** Snapshots and backups usually have no name. */
  name: string | null;
  description: string;
  image_size: number | null;
  disk_size: number;
  created: string;
  created_from: { id: number; name: string } | null;
  bound_to: number | null;
  os_flavor: string;
  os_version: string | null;
  rapid_deploy?: boolean;
  architecture: 'x86' | 'arm';
  deprecated: string | null;
  deleted?: string | null;
  protection?: { delete: boolean };
  labels: Labels;
}

export interface ImageListQuery {
  name?: string;
  architecture?: 'x86' | 'arm';
  type?: Image['type'] | Array<Image['type']>;
  include_deprecated?: boolean;
  label_selector?: string;
  status?: Image['status'] | Array<Image['status']>;
  bound_to?: number;
  sort?: string | string[];
}

export class ImageClient {
  constructor(private readonly api: Requester) {}

  async get(id: number): Promise<Image | null> {
    return (await orNull(this.api.request<{ image: Image }>('GET', idPath('/images', id))))?.image ?? null;
  }

  list(q?: ImageListQuery): Promise<Image[]> {
    return this.api.listAll<Image>('/images', 'images', toQuery(q));
  }
}
