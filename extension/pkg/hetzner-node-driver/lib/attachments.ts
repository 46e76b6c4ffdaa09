// Existing primary IPs and volumes the driver can give a new server: only unassigned ones, in the server's
// location (a server can use only those of its own location). The driver never deletes them.
import type { Placed, PrimaryIp, Volume } from './hcloud';

export function locationName(r: Placed): string | undefined {
  return r.location?.name ?? r.datacenter?.location?.name ?? undefined;
}

export function freePrimaryIps(ips: PrimaryIp[], family: 'ipv4' | 'ipv6', location: string): PrimaryIp[] {
  return ips
    .filter((p) => p.type === family && p.assignee_id === null && locationName(p) === location)
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function freeVolumes(volumes: Volume[], location: string): Volume[] {
  return volumes
    .filter((v) => v.server === null && locationName(v) === location)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The primary IP a stored value names: the driver accepts its ID, name or address. */
export function findPrimaryIp(ips: PrimaryIp[], ref: string): PrimaryIp | undefined {
  return ips.find((p) => String(p.id) === ref || p.name === ref || p.ip === ref);
}

export function findVolume(volumes: Volume[], ref: string): Volume | undefined {
  return volumes.find((v) => String(v.id) === ref || v.name === ref);
}
