import type { Action } from './action';
import { first, idPath, type Labels, type ListQuery, orNull, type Requester, toQuery } from './common';

export type FirewallProtocol = 'tcp' | 'udp' | 'icmp' | 'esp' | 'gre';

/** A rule as the API returns it. */
export interface FirewallRule {
  direction: 'in' | 'out';
  protocol: FirewallProtocol;
  /** A port or range `"1024-5000"`; tcp/udp only. */
  port: string | null;
  source_ips: string[];
  destination_ips: string[];
  description: string | null;
}

/** A rule as sent: direction and protocol are required, empty fields are left out. */
export interface FirewallRuleRequest {
  direction: 'in' | 'out';
  protocol: FirewallProtocol;
  port?: string | null;
  source_ips?: string[];
  destination_ips?: string[];
  description?: string | null;
}

export type FirewallResource =
  | { type: 'server'; server: { id: number } }
  | { type: 'label_selector'; label_selector: { selector: string } };

export type FirewallAppliedTo =
  | { type: 'server'; server: { id: number } }
  | {
      type: 'label_selector';
      label_selector: { selector: string };
      applied_to_resources?: Array<{ type: 'server'; server: { id: number } }>;
    };

export interface Firewall {
  id: number;
  name: string;
  labels: Labels;
  created: string;
  rules: FirewallRule[];
  applied_to: FirewallAppliedTo[];
}

export interface FirewallCreateRequest {
  name: string;
  labels?: Labels;
  rules?: FirewallRuleRequest[];
  apply_to?: FirewallResource[];
}

export interface FirewallUpdateRequest {
  name?: string;
  labels?: Labels;
}

export class FirewallClient {
  constructor(private readonly api: Requester) {}

  create(req: FirewallCreateRequest): Promise<{ firewall: Firewall; actions: Action[] }> {
    return this.api.request('POST', '/firewalls', { body: req });
  }

  async get(id: number): Promise<Firewall | null> {
    return (await orNull(this.api.request<{ firewall: Firewall }>('GET', idPath('/firewalls', id))))?.firewall ?? null;
  }

  async getByName(name: string): Promise<Firewall | null> {
    return first(await this.api.listAll<Firewall>('/firewalls', 'firewalls', { name }));
  }

  list(q?: ListQuery): Promise<Firewall[]> {
    return this.api.listAll<Firewall>('/firewalls', 'firewalls', toQuery(q));
  }

  /** Labels, when given, replace the whole set. */
  async update(id: number, req: FirewallUpdateRequest): Promise<Firewall> {
    return (await this.api.request<{ firewall: Firewall }>('PUT', idPath('/firewalls', id), { body: req })).firewall;
  }

  async delete(id: number): Promise<void> {
    await this.api.request('DELETE', idPath('/firewalls', id));
  }

  /** Replaces all rules (an empty list clears them); there is no compare-and-swap. */
  async setRules(id: number, rules: FirewallRuleRequest[]): Promise<Action[]> {
    const path = idPath('/firewalls', id, '/actions/set_rules');
    return (await this.api.request<{ actions: Action[] }>('POST', path, { body: { rules } })).actions;
  }

  async applyToResources(id: number, applyTo: FirewallResource[]): Promise<Action[]> {
    const path = idPath('/firewalls', id, '/actions/apply_to_resources');
    return (await this.api.request<{ actions: Action[] }>('POST', path, { body: { apply_to: applyTo } })).actions;
  }

  async removeFromResources(id: number, removeFrom: FirewallResource[]): Promise<Action[]> {
    const path = idPath('/firewalls', id, '/actions/remove_from_resources');
    return (await this.api.request<{ actions: Action[] }>('POST', path, { body: { remove_from: removeFrom } })).actions;
  }
}
