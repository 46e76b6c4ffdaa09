// The design's rules for a Hetzner machine config, checked live in the form and again in test() before save.
// Issues carry an l10n key (under hetzner.machineConfig.validation) so the form and tests share one wording.
import jsyaml from 'js-yaml';
import { findImage, networksInZone, typeAvailability } from './catalog';
import type { HetznerConfig } from './config';
import type { Image, Location, Network, ServerType } from './hcloud';
import { labelProblems, parseLabels } from './labels';

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
}

const URL_RE = /^https?:\/\/[^\s/]+(\/\S*)?$/;

export function validateMachineConfig(v: HetznerConfig, ctx: CatalogContext = {}): ValidationResult {
  const errors: Issue[] = [];
  const warnings: Issue[] = [];
  const err = (field: string, key: string, args?: Issue['args']) => errors.push({
    field, key, ...(args ? { args } : {})
  });
  const warn = (field: string, key: string) => warnings.push({ field, key });

  const networks = v.networks ?? [];
  const firewalls = v.firewalls ?? [];
  const location = v.serverLocation ?? '';
  const typeName = v.serverType ?? '';

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

  if (!v.image) err('image', 'imageRequired');
  else if (ctx.images && type && !findImage(ctx.images, v.image, type.architecture)) {
    err('image', 'imageArch', { image: v.image, arch: type.architecture });
  }

  const v4off = v.disablePublicIpv4 === true;
  const v6off = v.disablePublicIpv6 === true;
  const privateNet = v.usePrivateNetwork === true && networks.length > 0;

  if (v.usePrivateNetwork && networks.length === 0) err('networks', 'privateNeedsNetwork');
  if (v4off && v6off && !privateNet) err('disablePublicIpv4', 'noPublicNeedsPrivate');
  if (ctx.networks && ctx.locations && location) {
    const zone = ctx.locations.find((l) => l.name === location)?.network_zone;
    const reachable = new Set(networksInZone(ctx.networks, zone).map((n) => String(n.id)));
    const known = new Set(ctx.networks.flatMap((n) => [String(n.id), n.name]));

    for (const n of networks) {
      const net = ctx.networks.find((x) => String(x.id) === n || x.name === n);

      if (!known.has(n)) err('networks', 'networkUnknown', { network: n });
      else if (net && !reachable.has(String(net.id))) err('networks', 'networkZone', { network: net.name, zone: zone ?? '' });
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

  labelProblems(parseLabels(v.serverLabels)).forEach((p, i) => {
    if (p) err('serverLabels', `label.${ p }`, { row: i + 1 });
  });

  if (v.sshPort !== undefined && v.sshPort !== '') {
    const port = Number(v.sshPort);

    if (!/^\d+$/.test(v.sshPort) || port < 1 || port > 65535) err('sshPort', 'sshPort');
  }
  if (v.apiEndpoint && !URL_RE.test(v.apiEndpoint)) err('apiEndpoint', 'apiEndpoint');

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
