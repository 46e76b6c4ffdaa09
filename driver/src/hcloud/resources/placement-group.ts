import type { Action } from './action';
import { first, idPath, type Labels, type ListQuery, orNull, type Requester, toQuery } from './common';

export interface PlacementGroup {
  id: number;
  name: string;
  type: 'spread';
  servers: number[];
  labels: Labels;
  created: string;
}

export interface PlacementGroupCreateRequest {
  name: string;
  type: 'spread';
  labels?: Labels;
}

export interface PlacementGroupListQuery extends ListQuery {
  type?: 'spread';
}

export class PlacementGroupClient {
  constructor(private readonly api: Requester) {}

  /** The API's `action` is always null for placement groups, so only the group is returned. */
  async create(req: PlacementGroupCreateRequest): Promise<PlacementGroup> {
    const r = await this.api.request<{ placement_group: PlacementGroup; action: Action | null }>(
      'POST',
      '/placement_groups',
      { body: req },
    );
    return r.placement_group;
  }

  async get(id: number): Promise<PlacementGroup | null> {
    const r = await orNull(
      this.api.request<{ placement_group: PlacementGroup }>('GET', idPath('/placement_groups', id)),
    );
    return r?.placement_group ?? null;
  }

  async getByName(name: string): Promise<PlacementGroup | null> {
    return first(await this.api.listAll<PlacementGroup>('/placement_groups', 'placement_groups', { name }));
  }

  list(q?: PlacementGroupListQuery): Promise<PlacementGroup[]> {
    return this.api.listAll<PlacementGroup>('/placement_groups', 'placement_groups', toQuery(q));
  }

  async delete(id: number): Promise<void> {
    await this.api.request('DELETE', idPath('/placement_groups', id));
  }
}
