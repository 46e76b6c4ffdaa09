// Labels are the state: every resource this driver creates carries managed-by, machine (and cluster) labels, so
// Remove and Create's rollback find them even when rancher-machine never saved a server ID.
import { describeOwner } from '../firewall';
import {
  CLUSTER_KEY,
  isValidLabelKey,
  isValidLabelValue,
  MACHINE_KEY,
  MANAGED_BY_KEY,
  MANAGED_BY_VALUE,
  RESERVED_KEYS,
  toLabelValue,
} from '../labels';

/** The labels that identify a machine's resources: enough to find them again and to prove we made them. */
export function ownershipLabels(machineName: string, clusterId: string): Record<string, string> {
  const labels: Record<string, string> = {
    [MANAGED_BY_KEY]: MANAGED_BY_VALUE,
    [MACHINE_KEY]: toLabelValue(machineName),
  };
  if (clusterId) labels[CLUSTER_KEY] = toLabelValue(clusterId);
  return labels;
}

/** Selector for everything this driver made for one machine. */
export function machineSelector(machineName: string): string {
  return `${MANAGED_BY_KEY}=${MANAGED_BY_VALUE},${MACHINE_KEY}=${toLabelValue(machineName)}`;
}

/** True when the labels prove the resource was made by this driver for this machine (of some cluster). */
export function isOwnedBy(labels: Record<string, string> | undefined | null, machineName: string): boolean {
  return !!labels && labels[MANAGED_BY_KEY] === MANAGED_BY_VALUE && labels[MACHINE_KEY] === toLabelValue(machineName);
}

/**
 * True when the labels prove the resource was made by this driver for this machine of this cluster (`''`: a
 * machine of no cluster, whose resources carry no cluster label). Machine names are unique per cluster only, so
 * this, not the machine label alone, is what lets Create take a resource for its own leftover.
 */
export function belongsTo(
  labels: Record<string, string> | undefined | null,
  machineName: string,
  clusterId: string,
): boolean {
  return isOwnedBy(labels, machineName) && (labels?.[CLUSTER_KEY] ?? '') === (clusterId ? toLabelValue(clusterId) : '');
}

/** Why a server named like the machine is not this machine's: whose labels it carries instead. */
export function sameNameOwner(srv: { labels: Record<string, string> }, clusterId: string): string {
  const cluster = clusterId ? `cluster ${toLabelValue(clusterId)}` : 'no cluster';
  return `not made by this driver for this machine of ${cluster}: it carries ${describeOwner(srv.labels)}`;
}

/** The refusal to take a server named like the machine for a leftover: what exists, whose it is, what to do. */
export function sameNameMessage(
  name: string,
  srv: { id: number; status: string; labels: Record<string, string> },
  clusterId: string,
): string {
  return (
    `a server named "${name}" already exists in this Hetzner project (id ${srv.id}, ${srv.status}), ` +
    `${sameNameOwner(srv, clusterId)}. Nothing was deleted: use another machine name, or delete or rename that ` +
    'server if it is not in use'
  );
}

/** Parses `hetzner-server-labels` entries (`key=value`); returns the labels and one message per bad entry. */
export function parseUserLabels(entries: string[]): { labels: Record<string, string>; problems: string[] } {
  const labels: Record<string, string> = {};
  const problems: string[] = [];
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    const key = (eq < 0 ? entry : entry.slice(0, eq)).trim();
    const value = eq < 0 ? '' : entry.slice(eq + 1).trim();
    if (!isValidLabelKey(key)) {
      problems.push(
        `label "${entry}" has an invalid key: keys are up to 63 letters, digits, "-", "_" or "." (optionally ` +
          `prefixed by a DNS name and "/"), starting and ending with a letter or digit`,
      );
      continue;
    }
    if (RESERVED_KEYS.has(key)) {
      problems.push(
        `label key "${key}" is reserved for the driver's own bookkeeping (${[...RESERVED_KEYS].join(', ')}): ` +
          'the driver sets it itself; choose another key',
      );
      continue;
    }
    if (!isValidLabelValue(value)) {
      problems.push(
        `label "${entry}" has an invalid value: values are up to 63 letters, digits, "-", "_" or ".", starting and ` +
          'ending with a letter or digit',
      );
      continue;
    }
    labels[key] = value;
  }
  return { labels, problems };
}
