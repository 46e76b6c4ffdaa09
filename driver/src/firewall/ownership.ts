// Scope is ownership: the driver changes, attaches or deletes a firewall only when its labels say the driver made it
// for this cluster. A name match (`--hetzner-firewall-name`, or the default name taken by someone else) is refused
// with a message that says what exists, who owns it and what to do instead.
import type { Firewall } from '../hcloud';
import { toLabelValue } from '../labels';
import { defaultFirewallName, describeOwner, isClusterFirewall } from './labels';

type FirewallIdentity = Pick<Firewall, 'id' | 'name' | 'labels'>;

/** The refusal, for PreCreateCheck (as a flag problem) and for Create and Remove (as ForeignFirewallError). */
export function foreignFirewallMessage(fw: FirewallIdentity, clusterId: string, named: boolean): string {
  const cluster = toLabelValue(clusterId);
  const fix = named
    ? `choose another --hetzner-firewall-name, or leave it empty to use ${defaultFirewallName(clusterId)}`
    : 'set --hetzner-firewall-name to a name that is free, or rename that firewall';
  return (
    `a firewall named "${fw.name}" (#${fw.id}) already exists but does not carry the labels of cluster ${cluster} ` +
    `(managed-by and cluster=${cluster}): it has ${describeOwner(fw.labels)}. The driver never changes, attaches ` +
    `or deletes a firewall it did not create for this cluster: ${fix}`
  );
}

export class ForeignFirewallError extends Error {
  constructor(
    readonly firewall: FirewallIdentity,
    clusterId: string,
    named: boolean,
  ) {
    super(foreignFirewallMessage(firewall, clusterId, named));
    this.name = 'ForeignFirewallError';
  }
}

/** The firewall when the driver made it for this cluster; null when there is none; throws for anyone else's. */
export function ownedOrRefused<F extends FirewallIdentity>(fw: F | null, clusterId: string, named: boolean): F | null {
  if (!fw || isClusterFirewall(fw.labels, clusterId)) return fw;
  throw new ForeignFirewallError(fw, clusterId, named);
}
