// PreCreateCheck's rules that need no API: each problem names the flag at fault and what to do about it.
import { FLAG, type FlagSettings } from './flags';
import { parseUserLabels } from './labels';

export interface Problem {
  severity: 'error' | 'warning';
  flag: string;
  message: string;
}

/** The one list every PreCreateCheck rule reports into, in the order the rules run. */
export class Problems {
  readonly list: Problem[] = [];
  readonly error = (flag: string, message: string): void => {
    this.list.push({ severity: 'error', flag, message });
  };
  readonly warn = (flag: string, message: string): void => {
    this.list.push({ severity: 'warning', flag, message });
  };
  hasErrors(): boolean {
    return this.list.some((p) => p.severity === 'error');
  }
}

const HOSTNAME_RE = /^(?=.{1,63}$)[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*$/;

export function checkSettings(s: FlagSettings, machineName: string, { error, warn }: Problems): void {
  if (!s.apiToken) {
    error(
      FLAG.apiToken,
      'no API token: set --hetzner-api-token or HETZNER_API_TOKEN (in Rancher: select a Hetzner cloud credential)',
    );
  }
  if (!HOSTNAME_RE.test(machineName)) {
    error(
      'machine name',
      `"${machineName}" is not a valid server name: use at most 63 letters, digits, "-" and ".", starting and ` +
        'ending with a letter or digit',
    );
  }
  if (s.disablePublicIpv4 && s.disablePublicIpv6 && !s.usePrivateNetwork) {
    error(
      FLAG.disablePublicIpv4,
      'both public IPv4 and public IPv6 are disabled, so nothing could reach the server: enable ' +
        '--hetzner-use-private-network (with --hetzner-networks) or keep one public address',
    );
  }
  if (s.usePrivateNetwork && s.networks.length === 0) {
    error(
      FLAG.usePrivateNetwork,
      'a private network IP was requested but no network is given: add the network to --hetzner-networks',
    );
  }
  if (s.autoCreateFirewallRules && s.disablePublicIpv4) {
    error(
      FLAG.autoCreateFirewallRules,
      "the automatic firewall rules are built from the nodes' public IPv4 addresses, which " +
        '--hetzner-disable-public-ipv4 turns off: keep public IPv4 or turn off --hetzner-auto-create-firewall-rules',
    );
  }
  if (s.createFirewall && s.firewalls.length > 0) {
    error(
      FLAG.createFirewall,
      'cannot be combined with --hetzner-firewalls: use either the shared cluster firewall or your own firewalls',
    );
  }
  if (s.createFirewall && !s.clusterId) {
    error(
      FLAG.createFirewall,
      'the shared firewall is per cluster: set --hetzner-cluster-id so that all nodes of the cluster find it',
    );
  }
  if (s.firewallName.length > 128) {
    error(FLAG.firewallName, 'firewall names are at most 128 characters: choose a shorter name');
  }
  for (const p of parseUserLabels(s.serverLabels).problems) error(FLAG.serverLabels, p);

  if (s.createFirewall && s.disablePublicIpv4) {
    warn(
      FLAG.createFirewall,
      "this node has no public IPv4 address, so the shared firewall's node rules will not list it by IPv4",
    );
  }
  if (s.disablePublicIpv4 && !s.disablePublicIpv6 && !s.usePrivateNetwork && s.clusterId) {
    warn(
      FLAG.disablePublicIpv4,
      'this is an IPv6-only node in a cluster: Rancher and the other nodes must reach it over IPv6, and ' +
        'IPv4-only firewall rules will not cover it',
    );
  }
  if (s.firewallName && !s.createFirewall) {
    warn(FLAG.firewallName, 'has no effect without --hetzner-create-firewall');
  }
  if (s.autoCreateFirewallRules && !s.createFirewall) {
    warn(FLAG.autoCreateFirewallRules, 'has no effect without --hetzner-create-firewall');
  }
  if (s.disablePublicIpv4 && s.disablePublicIpv6 && (s.firewalls.length > 0 || s.createFirewall)) {
    warn(
      s.createFirewall ? FLAG.createFirewall : FLAG.firewalls,
      'Hetzner firewalls filter public interfaces only; a server without public addresses is not protected by them',
    );
  }
}

export function formatProblem(p: Problem): string {
  return `${p.flag}: ${p.message}`;
}

/** One error listing every problem, so the user fixes them all in one round. */
export function problemsError(errors: Problem[]): Error {
  if (errors.length === 1) return new Error(`Invalid Hetzner machine configuration: ${formatProblem(errors[0]!)}`);
  return new Error(
    `Invalid Hetzner machine configuration (${errors.length} problems):\n${errors.map((p) => `  - ${formatProblem(p)}`).join('\n')}`,
  );
}
