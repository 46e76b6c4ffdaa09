import { first, idPath, orNull, type Requester } from './common';

export interface Location {
  id: number;
  name: string;
  description: string;
  country: string;
  city: string;
  latitude: number;
  longitude: number;
  network_zone: string;
}

export class LocationClient {
  constructor(private readonly api: Requester) {}

  async get(id: number): Promise<Location | null> {
    return (await orNull(this.api.request<{ location: Location }>('GET', idPath('/locations', id))))?.location ?? null;
  }

  async getByName(name: string): Promise<Location | null> {
    return first(await this.api.listAll<Location>('/locations', 'locations', { name }));
  }

  list(): Promise<Location[]> {
    return this.api.listAll<Location>('/locations', 'locations');
  }
}
