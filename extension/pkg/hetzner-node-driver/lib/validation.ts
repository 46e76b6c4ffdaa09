// The design's rules for a Hetzner machine config, checked live in the form and again in test() before save.
// Issues carry an l10n key (under hetzner.machineConfig.validation) so the form and tests share one wording.
import jsyaml from 'js-yaml';
import { isAddressOrCidr } from './addresses';
import { findPrimaryIp, findVolume, locationName } from './attachments';
import { findImage, networksInZone, typeAvailability } from './catalog';
import type { HetznerConfig } from './config';
import { fallbacksOf, primaryOf, soldIn } from './fallback';
import type {
  Image, Location, Network, PrimaryIp, ServerType, Volume
} from './hcloud';
import { labelProblems, parseLabels } from './labels';
import { findNetwork, parseNetworkEntry, pinProblem } from './networks';
import { rdnsSample, renderRdns } from './rdns';

export interface Issue {
  field: string;
  key: string;
  args?: Record<string, string | number>;
}

export interface ValidationResult {
  errors: Issue[];
  warnings: Issue[];
}

/** Catalogue lists as loaded; a missing list skips the checks that need it (the load error is shown instead). */
export interface CatalogContext {
  locations?: Location[];
  serverTypes?: ServerType[];
  images?: Image[];
  networks?: Network[];
  primaryIps?: PrimaryIp[];
  volumes?: Volume[];
  /** Machines in the pool, when the host says. */
  poolQuantity?: number;
  /** The pool's name, for the reverse DNS sample. */
  poolName?: string;
  /**
   * The pool exists already: its own machines may hold the primary IP and volumes it names, so "in use" is only a
   * warning (a further machine could not get them), not an error that would block every later edit of the cluster.
   */
  existingPool?: boolean;
}

export function validateMachineConfig(v: HetznerConfig, ctx: CatalogContext = {}): ValidationResult {
  const errors: Issue[] = [];
  const warnings: Issue[] = [];
  const err = (field: string, key: string, args?: Issue['args']) => errors.push({
    field, key, ...(args ? { args } : {})
  });
  const warn = (field: string, key: string, args?: Issue['args']) => warnings.push({
    field, key, ...(args ? { args } : {})
  });

  const entries = (v.networks ?? []).map(parseNetworkEntry);
  const networks = entries.map((e) => e.ref);
  const firewalls = v.firewalls ?? [];
  const location = primaryOf(v.serverLocation);
  const typeName = primaryOf(v.serverType);
  const fallbackLocations = fallbacksOf(v.serverLocation);

  if (!location) err('serverLocation', 'locationRequired');
  else if (ctx.locations && !ctx.locations.some((l) => l.name === location)) {
    err('serverLocation', 'locationUnknown', { location });
  }

  const type = ctx.serverTypes?.find((t) => t.name === typeName);

  if (!typeName) err('serverType', 'typeRequired');
  else if (ctx.serverTypes && location) {
    const availability = type ? typeAvailability(type, location) : 'unknown';

    if (availability !== 'available') err('serverType', `type.${ availability }`, { type: typeName, location });
  }

  for (const l of fallbackLocations) {
    if (ctx.locations && !ctx.locations.some((x) => x.name === l)) err('serverLocation', 'fallbackLocationUnknown', { location: l });
  }
  if (ctx.serverTypes && location) {
    const chosen = [location, ...fallbackLocations];

    for (const name of fallbacksOf(v.serverType)) {
      const t = ctx.serverTypes.find((x) => x.name === name);

      if (!t) err('serverType', 'fallbackTypeUnknown', { type: name });
      else if (type && t.architecture !== type.architecture) {
        err('serverType', 'fallbackTypeArch', {
          type: name, arch: t.architecture, primary: type.name, primaryArch: type.architecture
        });
      } else if (!soldIn(t, chosen).length) err('serverType', 'fallbackTypeNotSold', { type: name, locations: chosen.join(', ') });
    }
  }

  if (!v.image) err('image', 'imageRequired');
  else if (ctx.images && type && !findImage(ctx.images, v.image, type.architecture)) {
    err('image', 'imageArch', { image: v.image, arch: type.architecture });
  }

  const v4off = v.disablePublicIpv4 === true;
  const v6off = v.disablePublicIpv6 === true;
  const privateNet = v.usePrivateNetwork === true && networks.length > 0;

  if (v.usePrivateNetwork && networks.length === 0) err('networks', 'privateNeedsNetwork');
  if (v4off && v6off && !privateNet) err('disablePublicIpv4', 'noPublicNeedsPrivate');
  if (new Set(networks).size < networks.length) err('networks', 'networkDuplicate');
  if (ctx.networks && ctx.locations && location) {
    const zone = ctx.locations.find((l) => l.name === location)?.network_zone;
    const reachable = new Set(networksInZone(ctx.networks, zone).map((n) => String(n.id)));

    for (const e of entries) {
      const net = findNetwork(ctx.networks, e.ref);

      if (!net) err('networks', 'networkUnknown', { network: e.ref });
      else if (!reachable.has(String(net.id))) err('networks', 'networkZone', { network: net.name, zone: zone ?? '' });
      else {
        const p = pinProblem(net, e.pin, zone);

        if (p) err('networks', p.key, p.args);
      }
    }
  }
  for (const e of entries) {
    if (e.pin.kind === 'ip' && ctx.poolQuantity !== undefined && ctx.poolQuantity > 1) {
      const name = (ctx.networks && findNetwork(ctx.networks, e.ref)?.name) || e.ref;

      warn('networks', 'networkIpPool', { network: name, quantity: ctx.poolQuantity });
    }
  }

  if (v.createFirewall && firewalls.length > 0) err('firewalls', 'firewallExclusive');
  if (v.createFirewall && !v.clusterId?.trim()) err('clusterId', 'clusterIdRequired');
  if (v.autoCreateFirewallRules && v4off) err('autoCreateFirewallRules', 'autoRulesNeedIpv4');
  if ((v.firewallName ?? '').length > 128) err('firewallName', 'firewallNameLength');
  // Warnings mirror the driver's own (driver/src/driver/validate.ts), so the form says it before a node fails.
  if (v.autoCreateFirewallRules && !v.createFirewall) warn('autoCreateFirewallRules', 'autoRulesNeedManaged');
  if (v.createFirewall && v4off) warn('createFirewall', 'firewallWithoutIpv4');
  if (v4off && !v6off && !v.usePrivateNetwork) warn('disablePublicIpv4', 'ipv6Only');
  if (v4off && v6off && (v.createFirewall || firewalls.length > 0)) warn('firewalls', 'firewallNoPublic');

  const adminCidrs = v.firewallAdminCidrs ?? [];

  for (const c of adminCidrs) {
    if (!isAddressOrCidr(c)) err('firewallAdminCidrs', 'adminCidrInvalid', { cidr: c });
  }
  if ((adminCidrs.length || v.firewallCloseNodeports) && !v.autoCreateFirewallRules) warn('firewallAdminCidrs', 'adminRulesNeeded');

  if (v.placementGroupSpread && v.placementGroup) err('placementGroupSpread', 'spreadExclusive');
  if (v.placementGroupSpread && !v.clusterId?.trim()) err('clusterId', 'spreadNeedsClusterId');

  if (v.rdnsTemplate?.trim()) {
    const r = renderRdns(v.rdnsTemplate, rdnsSample(v.clusterId ?? '', ctx.poolName ?? ''));

    if ('problem' in r) err('rdnsTemplate', r.problem.key, r.problem.args);
    if (v4off && v6off) warn('rdnsTemplate', 'rdns.noPublic');
  }

  attachmentIssues(v, ctx, location, err, warn);
  const pinned = Boolean(v.primaryIpv4 || v.primaryIpv6 || (v.volumes ?? []).length);

  if (pinned && fallbackLocations.length) warn('serverLocation', 'pinnedFallback', { location });

  labelProblems(parseLabels(v.serverLabels)).forEach((p, i) => {
    if (p) err('serverLabels', `label.${ p }`, { row: i + 1 });
  });

  if (v.sshPort !== undefined && v.sshPort !== '') {
    const port = Number(v.sshPort);

    if (!/^\d+$/.test(v.sshPort) || port < 1 || port > 65535) err('sshPort', 'sshPort');
  }

  const yamlProblem = additionalUserDataProblem(v.additionalUserData);

  if (yamlProblem) err('additionalUserData', yamlProblem.key, yamlProblem.args);

  return { errors, warnings };
}

/**
 * The driver sends the extra user data as a second part of a cloud-init multi-part message, typed by its first
 * line: "#cloud-config" (then it must be a YAML mapping, which cloud-init merges into Rancher's) or "#!" (a script).
 */
export function additionalUserDataProblem(text: string | undefined): Omit<Issue, 'field'> | undefined {
  if (!text?.trim()) return undefined;
  const first = text.trimStart().split('\n', 1)[0]?.trim() ?? '';

  if (first.startsWith('#!')) return undefined;
  if (first !== '#cloud-config') return { key: 'userDataHeader' };
  let doc: unknown;

  try {
    doc = jsyaml.load(text);
  } catch (e) {
    const reason = e instanceof Error ? e.message.split('\n')[0] ?? '' : String(e);

    return { key: 'userDataYaml', args: { reason } };
  }
  if (doc === null || doc === undefined) return undefined;
  if (typeof doc !== 'object' || Array.isArray(doc)) return { key: 'userDataMapping' };

  return undefined;
}

type ErrFn = (field: string, key: string, args?: Issue['args']) => void;

/** Primary IPs and volumes: of the right family, free, and in the server's (primary) location. */
function attachmentIssues(v: HetznerConfig, ctx: CatalogContext, location: string, err: ErrFn, warn: ErrFn): void {
  const inUse = (field: string, key: string, args: Issue['args']) => (ctx.existingPool ? warn(field, `${ key }Warning`, args) : err(field, key, args));

  for (const family of ['ipv4', 'ipv6'] as const) {
    const field = family === 'ipv4' ? 'primaryIpv4' : 'primaryIpv6';
    const ref = v[field]?.trim();

    if (!ref) continue;
    if ((family === 'ipv4' ? v.disablePublicIpv4 : v.disablePublicIpv6) === true) {
      err(field, 'primaryIpDisabled', { family: family === 'ipv4' ? 'IPv4' : 'IPv6' });
      continue;
    }
    if (!ctx.primaryIps) continue;
    const p = findPrimaryIp(ctx.primaryIps, ref);

    if (!p) err(field, 'primaryIpUnknown', { ip: ref });
    else if (p.type !== family) err(field, 'primaryIpFamily', { ip: p.ip, name: p.name });
    else if (p.assignee_id !== null) inUse(field, 'primaryIpAssigned', { ip: p.ip, name: p.name });
    else if (location && locationName(p) !== location) {
      err(field, 'primaryIpLocation', {
        ip: p.ip, name: p.name, where: locationName(p) ?? '?', location
      });
    }
  }
  if (!ctx.volumes) return;
  for (const ref of v.volumes ?? []) {
    const vol = findVolume(ctx.volumes, ref);

    if (!vol) err('volumes', 'volumeUnknown', { volume: ref });
    else if (vol.server !== null) inUse('volumes', 'volumeAttached', { volume: vol.name });
    else if (location && locationName(vol) !== location) {
      err('volumes', 'volumeLocation', {
        volume: vol.name, where: locationName(vol) ?? '?', location
      });
    }
  }
}
