// PreCreateCheck's API-free rules for the networking extras: network entry syntax, the reverse-DNS template and
// the firewall's admin CIDRs. Each problem names the flag and the fix, like validate.ts.
import { parseAdminCidrs } from '../firewall';
import { FLAG, type FlagSettings } from './flags';
import { parseNetworkEntries } from './networks';
import { poolName, rdnsHostname } from './rdns';
import type { Problems } from './validate';

export function checkNetworkingSettings(s: FlagSettings, machineName: string, { error, warn }: Problems): void {
  const { entries, problems } = parseNetworkEntries(s.networks);
  for (const p of problems) error(FLAG.networks, p);
  if (
    s.disablePublicIpv4 &&
    s.disablePublicIpv6 &&
    entries.length > 0 &&
    entries.every((e) => e.ip !== undefined || e.ipRange !== undefined)
  ) {
    error(
      FLAG.networks,
      'a server without public addresses must get one network at create, which Hetzner allows only without a ' +
        'subnet or IP: list one network without ":<ip-range>" / ":<ip>", or keep a public address',
    );
  }

  if (s.rdnsTemplate) {
    const r = rdnsHostname(s.rdnsTemplate, {
      machine: machineName,
      cluster: s.clusterId,
      pool: poolName(machineName, s.clusterId, s.serverLabels),
    });
    if ('problem' in r) error(FLAG.rdnsTemplate, r.problem);
    if (s.disablePublicIpv4 && s.disablePublicIpv6) {
      warn(FLAG.rdnsTemplate, 'the server has no public address, so there is no reverse DNS to set');
    }
  }

  try {
    parseAdminCidrs(s.firewallAdminCidrs);
  } catch (e) {
    error(FLAG.firewallAdminCidrs, (e as Error).message);
  }
  if ((s.firewallAdminCidrs.length > 0 || s.firewallCloseNodeports) && !s.autoCreateFirewallRules) {
    warn(
      s.firewallAdminCidrs.length > 0 ? FLAG.firewallAdminCidrs : FLAG.firewallCloseNodeports,
      'shapes only the rules the driver writes: has no effect without --hetzner-create-firewall and ' +
        '--hetzner-auto-create-firewall-rules',
    );
  }
}
