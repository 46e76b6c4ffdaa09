// The slice of the Hetzner client the firewall reconciler uses. Declared structurally so the reconciler can be
// tested against the mock with any client that has these methods (HcloudClient satisfies it).
import type {
  Action,
  Firewall,
  FirewallCreateRequest,
  FirewallResource,
  FirewallRuleRequest,
  ListQuery,
  WaitOptions,
} from '../hcloud';

/** What the reconciler reads from a server: identity, status, labels and public addresses. */
export interface ServerLike {
  id: number;
  name: string;
  status: string;
  labels: Record<string, string>;
  public_net: {
    ipv4: { ip: string } | null;
    /** The server's /64, e.g. `2001:db8:1:2::/64`. */
    ipv6: { ip: string } | null;
  };
}

export interface FirewallApiClient {
  servers: { list(q?: ListQuery): Promise<ServerLike[]> };
  firewalls: {
    create(req: FirewallCreateRequest): Promise<{ firewall: Firewall; actions: Action[] }>;
    get(id: number): Promise<Firewall | null>;
    getByName(name: string): Promise<Firewall | null>;
    list(q?: ListQuery): Promise<Firewall[]>;
    delete(id: number): Promise<void>;
    setRules(id: number, rules: FirewallRuleRequest[]): Promise<Action[]>;
    applyToResources(id: number, applyTo: FirewallResource[]): Promise<Action[]>;
    removeFromResources(id: number, removeFrom: FirewallResource[]): Promise<Action[]>;
  };
  actions: { waitFor(actions: ReadonlyArray<Action | number | null | undefined>, o?: WaitOptions): Promise<Action[]> };
}
