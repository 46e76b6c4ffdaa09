// "Hetzner as the cloud provider": what the cluster-create option writes into a new provisioning cluster. Pure: the
// save hook (cloud-provider-hook.ts) gathers the inputs, this module checks them and computes the spec changes and the
// token Secret. Facts it relies on, read from the sources:
//   - hcloud-cloud-controller-manager chart 1.35.0 / hcloud-csi chart 2.22.1 (values.yaml, recorded in
//     extension/test/fixtures/hcloud-charts.json): both read the token from Secret `hcloud`, key `token`, in their
//     release namespace; the CCM's `networking.enabled` adds --allocate-node-cidrs and --cluster-cidr (default
//     10.244.0.0/16, Flannel's) and takes HCLOUD_NETWORK from `networking.network`.
//   - rancher/rancher pkg/capr/planner (2.11–2.15): machineSelectorFiles copies a Secret's keys to files on the
//     machines the selector matches, only when the Secret (in the cluster's namespace) carries
//     rke.cattle.io/object-authorized-for-clusters naming the cluster; machines carry rke.cattle.io/control-plane-role.
//     Machine-global config is applied first, then every matching machineSelectorConfig entry over it.
//   - RKE2 and K3s apply every manifest in <data-dir>/server/manifests on their servers, HelmChart resources included
//     (bootstrap: true charts are installed before the nodes are initialised, which the CCM must do).
//   - rancher/rancher machineprovision getHostname/getInstanceName: the server (instance) name and the host name are
//     both the machine name truncated to 63 characters by the same rule; a pool hostnameLengthLimit below 63 makes
//     the host name (the node name) differ from the server name for long names.
import type { HetznerConfig } from './config';
import { parseNetworkEntry } from './networks';

export const CCM_CHART = {
  name: 'hcloud-cloud-controller-manager', version: '1.35.0', repo: 'https://charts.hetzner.cloud'
} as const;
export const CSI_CHART = {
  name: 'hcloud-csi', version: '2.22.1', repo: 'https://charts.hetzner.cloud'
} as const;
/** The Secret both charts read by default (name, key), in their release namespace. */
export const DOWNSTREAM_SECRET = {
  name: 'hcloud', namespace: 'kube-system', key: 'token'
} as const;
/** RKE2's and K3s's default cluster CIDR (the CCM chart's default is Flannel's 10.244.0.0/16). */
export const DEFAULT_CLUSTER_CIDR = '10.42.0.0/16';
export const LOAD_BALANCER_TYPE = 'lb11';
/** The cluster-create option's switch: set by the tab on the new cluster, read by the save hook. */
export const ENABLE_ANNOTATION = 'hetzner-node-driver.io/cloud-provider';
export const ENABLE_VALUE = 'hcloud';
export const AUTHORIZED_ANNOTATION = 'rke.cattle.io/object-authorized-for-clusters';
export const CONTROL_PLANE_LABEL = 'rke.cattle.io/control-plane-role';
/** The key (and file name) of the token Secret's one entry. */
export const SECRET_FILE_KEY = 'hetzner-hcloud-token.yaml';
/** Rancher's maximum (and default) host name length; below it, node names can differ from server names. */
export const MAX_HOSTNAME_LENGTH = 63;
const BEGIN = '# hetzner-node-driver cloud provider: begin (written at cluster creation)';
const END = '# hetzner-node-driver cloud provider: end';

export type Distro = 'rke2' | 'k3s';
export type AddressFamily = 'ipv4' | 'ipv6' | 'dualstack';
type Dict = Record<string, unknown>;

export interface PoolInput {
  name: string;
  config: HetznerConfig;
  hostnameLengthLimit?: number;
}

export interface SelectorConfig {
  machineLabelSelector?: unknown;
  config?: Dict;
}

export interface SelectorFile {
  machineLabelSelector?: { matchLabels?: Record<string, string> };
  fileSources?: { secret?: { name: string; items?: { key: string; path: string; permissions?: string }[] } }[];
}

export interface RkeConfigLike {
  machineGlobalConfig?: Dict;
  machineSelectorConfig?: SelectorConfig[];
  machineSelectorFiles?: SelectorFile[];
  additionalManifest?: string;
  chartValues?: Record<string, Dict>;
  dataDirectories?: { k8sDistro?: string };
  machinePoolDefaults?: { hostnameLengthLimit?: number };
}

export interface ClusterLike {
  metadata: { name: string; namespace: string; annotations?: Record<string, string> };
  spec: { kubernetesVersion?: string; cloudCredentialSecretName?: string; rkeConfig?: RkeConfigLike };
}

/** A refusal: an l10n key under hetzner.cloudProvider.problems, with its arguments. */
export interface Problem {
  key: string;
  args?: Record<string, string | number>;
}

export interface CloudProviderPlan {
  distro: Distro;
  /** The private network every pool is attached to (its first `networks` entry), by ID or name. */
  network?: string;
  addressFamily: AddressFamily;
  /** The IPv4 pod CIDR the CCM's route controller allocates from. */
  clusterCidr: string;
  /** Routes in the private network for pod CIDRs: only where the CNI routes natively (Cilium, routingMode native). */
  routes: boolean;
  location?: string;
  /** The cloud credential's API endpoint when it is not Hetzner's (HCLOUD_ENDPOINT for both charts). */
  endpoint?: string;
  manifestsDir: string;
  secretName: string;
}

export function distroOf(kubernetesVersion: string | undefined): Distro | undefined {
  if (/\+rke2/.test(kubernetesVersion ?? '')) return 'rke2';
  if (/\+k3s/.test(kubernetesVersion ?? '')) return 'k3s';

  return undefined;
}

/** The upstream Secret holding the token manifest: `<cluster>-hcloud-token` in the cluster's namespace. */
export function secretNameFor(clusterName: string): string {
  return `${ clusterName }-hcloud-token`;
}

function agentEntry(rke: RkeConfigLike): SelectorConfig | undefined {
  return (rke.machineSelectorConfig ?? []).find((e) => !e.machineLabelSelector);
}

function asList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'string' && v) return [v];

  return [];
}

/**
 * Without our own block: what the user wrote in the additional manifest, without trailing blank lines or a trailing
 * document separator.
 */
function stripOwnBlock(manifest: string): string {
  const start = manifest.indexOf(BEGIN);
  let rest = manifest;

  if (start >= 0) {
    const end = manifest.indexOf(END, start);

    rest = manifest.slice(0, start) + (end < 0 ? '' : manifest.slice(end + END.length));
  }

  return rest.replace(/\s+$/, '').replace(/(^|\n)---$/, '').replace(/\s+$/, '');
}

function ipv4Cidr(value: unknown): string | undefined {
  return String(value ?? '').split(',').map((s) => s.trim()).find((s) => s.includes('.'));
}

function ciliumNative(rke: RkeConfigLike): boolean {
  const values = rke.chartValues?.['rke2-cilium'] as Dict | undefined;

  return values?.routingMode === 'native' || values?.tunnel === 'disabled';
}

/**
 * Checks the cluster and its pools and, when the option can be applied, says what it writes. Every refusal is
 * returned (nothing is written when there is one).
 */
export function planCloudProvider(cluster: ClusterLike, pools: PoolInput[]): { plan?: CloudProviderPlan; problems: Problem[] } {
  const problems: Problem[] = [];
  const rke = cluster.spec.rkeConfig ?? {};
  const global = rke.machineGlobalConfig ?? {};
  const distro = distroOf(cluster.spec.kubernetesVersion);

  if (!pools.length) problems.push({ key: 'noPools' });
  if (!distro) problems.push({ key: 'distro', args: { version: cluster.spec.kubernetesVersion ?? '' } });

  // RKE2's cloud provider setting: the form keeps it in the selector-less entry, which the planner applies last.
  for (const chosen of [global['cloud-provider-name'], agentEntry(rke)?.config?.['cloud-provider-name']]) {
    if (chosen && !['external', 'rke2'].includes(String(chosen))) {
      problems.push({ key: 'cloudProvider', args: { name: String(chosen) } });
      break;
    }
  }
  if (distro === 'k3s') {
    const other = asList(agentEntry(rke)?.config?.['kubelet-arg']).concat(asList(global['kubelet-arg']))
      .find((a) => a.startsWith('cloud-provider=') && a !== 'cloud-provider=external');

    if (other) problems.push({ key: 'kubeletArg', args: { arg: other } });
  }

  // One private network for every pool, or none.
  const withNetwork = pools.map((p) => ({ pool: p.name, network: p.config.networks?.length ? parseNetworkEntry(p.config.networks[0]).ref : undefined }));
  const first = withNetwork.find((p) => p.network);

  if (first) {
    for (const p of withNetwork) {
      if (!p.network) {
        problems.push({
          key:  'networkMissing',
          args: {
            pool: p.pool, other: first.pool, network: first.network ?? ''
          }
        });
      } else if (p.network !== first.network) {
        problems.push({
          key:  'networksDiffer',
          args: {
            pool: p.pool, network: p.network, other: first.pool, otherNetwork: first.network ?? ''
          }
        });
      }
    }
  }

  // The address family of the nodes' addresses: IPv6 only when no pool has IPv4 (public or private).
  const ipv6Only = (c: HetznerConfig) => !!c.disablePublicIpv4 && !c.networks?.length;
  const v6 = pools.filter((p) => ipv6Only(p.config));
  const v4 = pools.filter((p) => !ipv6Only(p.config));

  if (v6.length && v4.length) problems.push({ key: 'familyMixed', args: { pool: v6[0].name, other: v4[0].name } });
  const cidrs = String(global['cluster-cidr'] ?? '');
  const dualCluster = cidrs.includes(':') && cidrs.includes('.');
  let addressFamily: AddressFamily = 'ipv4';

  if (v6.length && !v4.length) addressFamily = 'ipv6';
  else if (dualCluster && pools.every((p) => !p.config.disablePublicIpv6)) addressFamily = 'dualstack';

  // Node name == server name: the CCM and the CSI controller look servers up by node name.
  const defaultLimit = rke.machinePoolDefaults?.hostnameLengthLimit;

  for (const p of pools) {
    const limit = p.hostnameLengthLimit || defaultLimit;

    if (limit && limit < MAX_HOSTNAME_LENGTH) problems.push({ key: 'hostnameLimit', args: { pool: p.name, limit } });
  }

  const own = stripOwnBlock(rke.additionalManifest ?? '');

  for (const what of [CCM_CHART.name, CSI_CHART.name]) {
    if (own.includes(what)) problems.push({ key: 'manifestConflict', args: { what } });
  }

  if (problems.length || !distro) return { problems };

  const dataDir = rke.dataDirectories?.k8sDistro || `/var/lib/rancher/${ distro }`;

  return {
    problems,
    plan: {
      distro,
      network:      first?.network,
      addressFamily,
      clusterCidr:  ipv4Cidr(global['cluster-cidr']) ?? DEFAULT_CLUSTER_CIDR,
      routes:       !!first && distro === 'rke2' && String(global.cni ?? '').split(',').includes('cilium') && ciliumNative(rke),
      location:     pools.find((p) => p.config.serverLocation)?.config.serverLocation,
      manifestsDir: `${ dataDir.replace(/\/+$/, '') }/server/manifests`,
      secretName:   secretNameFor(cluster.metadata.name),
    },
  };
}

/** The CCM chart's values (keys of its values.yaml; env entries are variables the CCM reads). */
export function ccmValues(plan: CloudProviderPlan): Dict {
  const env: Record<string, { value: string }> = {
    HCLOUD_INSTANCES_ADDRESS_FAMILY:     { value: plan.addressFamily },
    HCLOUD_INSTANCES_ZONE_LABEL_ENABLED: { value: 'false' },
    HCLOUD_LOAD_BALANCERS_TYPE:          { value: LOAD_BALANCER_TYPE },
  };

  if (plan.location) env.HCLOUD_LOAD_BALANCERS_LOCATION = { value: plan.location };
  if (plan.endpoint) env.HCLOUD_ENDPOINT = { value: plan.endpoint };
  if (plan.network) {
    env.HCLOUD_NETWORK_ROUTES_ENABLED = { value: String(plan.routes) };
    env.HCLOUD_LOAD_BALANCERS_USE_PRIVATE_IP = { value: 'true' };
  }

  return {
    env,
    networking: plan.network ? {
      enabled: true, clusterCIDR: plan.clusterCidr, network: { value: plan.network }
    } : { enabled: false },
  };
}

/** The CSI chart's values: the token from the same Secret, volumes created in the pools' location by default. */
export function csiValues(plan: CloudProviderPlan): Dict {
  const controller: Dict = { hcloudToken: { existingSecret: { name: DOWNSTREAM_SECRET.name, key: DOWNSTREAM_SECRET.key } } };

  if (plan.location) controller.hcloudVolumeDefaultLocation = plan.location;
  if (plan.endpoint) controller.extraEnvVars = [{ name: 'HCLOUD_ENDPOINT', value: plan.endpoint }];

  return { controller };
}

function helmChart(chart: { name: string; version: string; repo: string }, values: Dict): Dict {
  return {
    apiVersion: 'helm.cattle.io/v1',
    kind:       'HelmChart',
    metadata:   { name: chart.name, namespace: 'kube-system' },
    spec:       {
      repo:            chart.repo,
      chart:           chart.name,
      version:         chart.version,
      targetNamespace: 'kube-system',
      bootstrap:       true,
      valuesContent:   JSON.stringify(values, null, 2),
    },
  };
}

/** The HelmChart resources, in the order they are written to the additional manifest. */
export function helmCharts(plan: CloudProviderPlan): Dict[] {
  return [helmChart(CCM_CHART, ccmValues(plan)), helmChart(CSI_CHART, csiValues(plan))];
}

/**
 * Writes the option into the cluster (in place): the distribution's cloud-provider settings, the two HelmCharts in the
 * additional manifest, and the machineSelectorFiles entry that puts the token Secret's manifest into the servers'
 * manifests directory. Applying it again replaces what it wrote before (a save that failed and is retried).
 */
export function applyCloudProvider(cluster: ClusterLike, plan: CloudProviderPlan): void {
  const rke = (cluster.spec.rkeConfig ??= {});
  const global = (rke.machineGlobalConfig ??= {});

  rke.machineSelectorConfig ??= [];
  let agent = agentEntry(rke);

  if (!agent) {
    agent = { config: {} };
    rke.machineSelectorConfig.unshift(agent);
  }
  agent.config ??= {};

  global['disable-cloud-controller'] = true;
  if (plan.distro === 'rke2') {
    global['cloud-provider-name'] = 'external';
    agent.config['cloud-provider-name'] = 'external';
  } else {
    const args = asList(agent.config['kubelet-arg']);

    if (!args.includes('cloud-provider=external')) args.push('cloud-provider=external');
    agent.config['kubelet-arg'] = args;
  }

  // The marker comments sit inside the first and last documents: no document is a comment alone.
  const docs = helmCharts(plan).map((d) => JSON.stringify(d, null, 2)).join('\n---\n');
  const own = stripOwnBlock(rke.additionalManifest ?? '');

  rke.additionalManifest = `${ own ? `${ own }\n` : '' }---\n${ BEGIN }\n${ docs }\n${ END }\n`;

  const file: SelectorFile = {
    machineLabelSelector: { matchLabels: { [CONTROL_PLANE_LABEL]: 'true' } },
    fileSources:          [{
      secret: {
        name:  plan.secretName,
        items: [{
          key: SECRET_FILE_KEY, path: `${ plan.manifestsDir }/${ SECRET_FILE_KEY }`, permissions: '0600'
        }]
      }
    }],
  };

  rke.machineSelectorFiles = [...(rke.machineSelectorFiles ?? []).filter((f) => !f.fileSources?.some((s) => s.secret?.name === plan.secretName)), file];
}

function base64(text: string): string {
  let bin = '';

  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);

  return btoa(bin);
}

/** The manifest the servers apply: Secret `hcloud` in kube-system with the token (JSON, which is YAML). */
export function downstreamSecretManifest(token: string): string {
  return `${ JSON.stringify({
    apiVersion: 'v1',
    kind:       'Secret',
    metadata:   { name: DOWNSTREAM_SECRET.name, namespace: DOWNSTREAM_SECRET.namespace },
    type:       'Opaque',
    stringData: { [DOWNSTREAM_SECRET.key]: token },
  }, null, 2) }\n`;
}

/** The Secret in the cluster's namespace that machineSelectorFiles reads: authorised for this cluster only. */
export function upstreamSecret(cluster: ClusterLike, plan: CloudProviderPlan, token: string): Dict {
  return {
    type:     'secret',
    metadata: {
      name:        plan.secretName,
      namespace:   cluster.metadata.namespace,
      annotations: { [AUTHORIZED_ANNOTATION]: cluster.metadata.name },
      labels:      { 'app.kubernetes.io/managed-by': 'hetzner-node-driver' },
    },
    _type: 'Opaque',
    data:  { [SECRET_FILE_KEY]: base64(downstreamSecretManifest(token)) },
  };
}
