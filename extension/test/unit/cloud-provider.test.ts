// The spec the "Hetzner as the cloud provider" option writes, for RKE2 and K3s, with and without a private network,
// IPv4/IPv6; its refusals; its chart values against the charts' own values.yaml (test/fixtures/hcloud-charts.json);
// and why a hostname length limit below 63 is refused (Rancher's truncation of server and host names).
import { createHash } from 'node:crypto';
import jsyaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import {
  applyCloudProvider, ccmValues, csiValues, downstreamSecretManifest, planCloudProvider, upstreamSecret,
  type ClusterLike, type CloudProviderPlan, type PoolInput
} from '../../pkg/hetzner-node-driver/lib/cloud-provider';
import charts from '../fixtures/hcloud-charts.json';

const TOKEN = 'tok-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0';

function cluster(version: string, rke: NonNullable<ClusterLike['spec']['rkeConfig']> = {}): ClusterLike {
  return {
    metadata: { name: 'prod', namespace: 'fleet-default' },
    spec:     {
      kubernetesVersion: version, cloudCredentialSecretName: 'cattle-global-data:cc-x', rkeConfig: { machineGlobalConfig: { cni: 'canal' }, ...rke }
    },
  };
}
const RKE2 = 'v1.33.5+rke2r1';
const K3S = 'v1.33.5+k3s1';
const pool = (name: string, config: PoolInput['config'] = {}, hostnameLengthLimit?: number): PoolInput => ({
  name, config: { serverLocation: 'fsn1', ...config }, hostnameLengthLimit
});

function planOf(c: ClusterLike, pools: PoolInput[]): CloudProviderPlan {
  const { plan, problems } = planCloudProvider(c, pools);

  expect(problems).toEqual([]);

  return plan as CloudProviderPlan;
}

interface ChartDoc {
  kind: string;
  metadata: Record<string, string>;
  spec: Record<string, unknown> & { valuesContent: string };
}
interface ChartValues {
  env: Record<string, { value: string }>;
  networking: unknown;
  controller?: unknown;
}

/** The HelmChart documents of the additional manifest, parsed, with their values parsed too. */
function manifestCharts(c: ClusterLike) {
  const docs = (jsyaml as unknown as { loadAll(s: string): unknown[] }).loadAll(c.spec.rkeConfig?.additionalManifest ?? '') as ChartDoc[];

  return docs.filter((d) => d?.kind === 'HelmChart').map((d) => ({ ...d, values: jsyaml.load(d.spec.valuesContent) as ChartValues }));
}

describe('cloud provider option: the spec it writes', () => {
  it('RKE2 without a private network: external cloud provider, both charts at bootstrap, no network, IPv4', () => {
    const c = cluster(RKE2);
    const plan = planOf(c, [pool('cp'), pool('workers')]);

    applyCloudProvider(c, plan);
    const rke = c.spec.rkeConfig!;

    expect(rke.machineGlobalConfig).toMatchObject({
      'cloud-provider-name': 'external', 'disable-cloud-controller': true, cni: 'canal'
    });
    // The form keeps the cloud provider in the selector-less entry, which the planner applies over the global one.
    expect(rke.machineSelectorConfig).toEqual([{ config: { 'cloud-provider-name': 'external' } }]);
    const [ccm, csi] = manifestCharts(c);

    expect(ccm.metadata).toEqual({ name: 'hcloud-cloud-controller-manager', namespace: 'kube-system' });
    expect(ccm.spec).toMatchObject({
      repo: 'https://charts.hetzner.cloud', chart: 'hcloud-cloud-controller-manager', version: '1.35.0', bootstrap: true, targetNamespace: 'kube-system'
    });
    expect(csi.spec).toMatchObject({
      repo: 'https://charts.hetzner.cloud', chart: 'hcloud-csi', version: '2.22.1', bootstrap: true
    });
    expect(ccm.values.networking).toEqual({ enabled: false });
    expect(ccm.values.env).toEqual({
      HCLOUD_INSTANCES_ADDRESS_FAMILY:     { value: 'ipv4' },
      HCLOUD_INSTANCES_ZONE_LABEL_ENABLED: { value: 'false' },
      HCLOUD_LOAD_BALANCERS_TYPE:          { value: 'lb11' },
      HCLOUD_LOAD_BALANCERS_LOCATION:      { value: 'fsn1' },
    });
    expect(csi.values).toEqual({ controller: { hcloudToken: { existingSecret: { name: 'hcloud', key: 'token' } }, hcloudVolumeDefaultLocation: 'fsn1' } });
    expect(rke.machineSelectorFiles).toEqual([{
      machineLabelSelector: { matchLabels: { 'rke.cattle.io/control-plane-role': 'true' } },
      fileSources:          [{
        secret: {
          name:  'prod-hcloud-token',
          items: [{
            key: 'hetzner-hcloud-token.yaml', path: '/var/lib/rancher/rke2/server/manifests/hetzner-hcloud-token.yaml', permissions: '0600'
          }]
        }
      }],
    }]);
  });

  it('RKE2 with a private network: HCLOUD_NETWORK from the first entry, RKE2 pod CIDR, no routes for an overlay CNI', () => {
    const c = cluster(RKE2);
    const plan = planOf(c, [pool('cp', { networks: ['k8s-net:10.0.1.0/24'], usePrivateNetwork: true }), pool('w', { networks: ['k8s-net', 'other'] })]);

    applyCloudProvider(c, plan);
    const [ccm] = manifestCharts(c);

    expect(ccm.values.networking).toEqual({
      enabled: true, clusterCIDR: '10.42.0.0/16', network: { value: 'k8s-net' }
    });
    expect(ccm.values.env.HCLOUD_NETWORK_ROUTES_ENABLED).toEqual({ value: 'false' });
    expect(ccm.values.env.HCLOUD_LOAD_BALANCERS_USE_PRIVATE_IP).toEqual({ value: 'true' });
  });

  it('routes only for Cilium in native routing mode, and the cluster CIDR the cluster sets', () => {
    const net = [pool('cp', { networks: ['k8s-net'] })];
    const native = cluster(RKE2, { machineGlobalConfig: { cni: 'cilium', 'cluster-cidr': '10.100.0.0/16' }, chartValues: { 'rke2-cilium': { routingMode: 'native' } } });
    const tunnel = cluster(RKE2, { machineGlobalConfig: { cni: 'cilium' }, chartValues: { 'rke2-cilium': { routingMode: 'tunnel' } } });
    const calico = cluster(RKE2, { machineGlobalConfig: { cni: 'calico' }, chartValues: { 'rke2-cilium': { routingMode: 'native' } } });

    expect(planOf(native, net)).toMatchObject({ routes: true, clusterCidr: '10.100.0.0/16' });
    expect(planOf(tunnel, net).routes).toBe(false);
    expect(planOf(calico, net).routes).toBe(false);
    // No network, no routes, whatever the CNI.
    expect(planOf(native, [pool('cp')]).routes).toBe(false);
  });

  it('K3s without a network: disable-cloud-controller and the kubelet flag for every node, K3s manifests dir', () => {
    const c = cluster(K3S, { machineGlobalConfig: {}, machineSelectorConfig: [{ config: { 'kubelet-arg': ['max-pods=200'] } }] });

    applyCloudProvider(c, planOf(c, [pool('all')]));
    const rke = c.spec.rkeConfig!;

    expect(rke.machineGlobalConfig).toEqual({ 'disable-cloud-controller': true });
    expect(rke.machineSelectorConfig).toEqual([{ config: { 'kubelet-arg': ['max-pods=200', 'cloud-provider=external'] } }]);
    expect(rke.machineSelectorFiles?.[0].fileSources?.[0].secret?.items?.[0].path).toBe('/var/lib/rancher/k3s/server/manifests/hetzner-hcloud-token.yaml');
    expect(manifestCharts(c)[0].values.networking).toEqual({ enabled: false });
  });

  it('K3s with a private network: networking on with the K3s pod CIDR, routes off (Flannel VXLAN)', () => {
    const c = cluster(K3S, { machineGlobalConfig: {}, dataDirectories: { k8sDistro: '/data/k3s/' } });

    applyCloudProvider(c, planOf(c, [pool('all', { networks: ['42'] })]));
    const [ccm] = manifestCharts(c);

    expect(ccm.values.networking).toEqual({
      enabled: true, clusterCIDR: '10.42.0.0/16', network: { value: '42' }
    });
    expect(ccm.values.env.HCLOUD_NETWORK_ROUTES_ENABLED).toEqual({ value: 'false' });
    expect(c.spec.rkeConfig?.machineSelectorFiles?.[0].fileSources?.[0].secret?.items?.[0].path).toBe('/data/k3s/server/manifests/hetzner-hcloud-token.yaml');
  });

  it('address family: IPv6 when no node has IPv4, dual-stack for a dual-stack cluster whose nodes all have both', () => {
    const v6 = { disablePublicIpv4: true };

    expect(planOf(cluster(RKE2), [pool('a', v6), pool('b', v6)]).addressFamily).toBe('ipv6');
    expect(planOf(cluster(K3S), [pool('a', v6)]).addressFamily).toBe('ipv6');
    // A private network gives the nodes IPv4 even without a public one.
    expect(planOf(cluster(RKE2), [pool('a', { ...v6, networks: ['n'] })]).addressFamily).toBe('ipv4');
    const dual = cluster(RKE2, { machineGlobalConfig: { 'cluster-cidr': '10.42.0.0/16,2001:db8:42::/56' } });

    expect(planOf(dual, [pool('a'), pool('b')]).addressFamily).toBe('dualstack');
    expect(planOf(dual, [pool('a'), pool('b', { disablePublicIpv6: true })]).addressFamily).toBe('ipv4');
    expect(planOf(dual, [pool('a', { networks: ['n'] })]).clusterCidr).toBe('10.42.0.0/16');
  });

  it('applying again replaces what it wrote and keeps what the user wrote', () => {
    const mine = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: mine\n';
    const c = cluster(RKE2, { additionalManifest: mine, machineSelectorFiles: [{ fileSources: [{ secret: { name: 'other', items: [] } }] }] });
    const plan = planOf(c, [pool('cp')]);

    applyCloudProvider(c, plan);
    const once = JSON.stringify(c);

    applyCloudProvider(c, planOf(c, [pool('cp')]));
    expect(JSON.stringify(c)).toBe(once);
    expect(c.spec.rkeConfig?.additionalManifest?.startsWith(`${ mine.trimEnd() }\n---\n`)).toBe(true);
    expect(manifestCharts(c)).toHaveLength(2);
    // Every document is an object (none is a marker comment alone, which a manifest applier would see as empty).
    const docs = (jsyaml as unknown as { loadAll(s: string): unknown[] }).loadAll(c.spec.rkeConfig?.additionalManifest ?? '');

    expect(docs.map((d) => typeof d === 'object' && d !== null && (d as { kind?: string }).kind)).toEqual(['Namespace', 'HelmChart', 'HelmChart']);
    // A trailing separator the user left is not doubled.
    const c2 = cluster(RKE2, { additionalManifest: `${ mine }---\n\n` });

    applyCloudProvider(c2, planOf(c2, [pool('cp')]));
    expect(c2.spec.rkeConfig?.additionalManifest).toBe(c.spec.rkeConfig?.additionalManifest);
    expect(c.spec.rkeConfig?.machineSelectorFiles?.map((f) => f.fileSources?.[0].secret?.name)).toEqual(['other', 'prod-hcloud-token']);
  });

  it('the token is only in the upstream Secret, never in the cluster', () => {
    const c = cluster(RKE2);
    const plan = planOf(c, [pool('cp', { networks: ['n'] })]);

    applyCloudProvider(c, plan);
    expect(JSON.stringify(c)).not.toContain(TOKEN);
    const secret = upstreamSecret(c, plan, TOKEN) as { metadata: unknown; data: Record<string, string> };

    expect(secret.metadata).toMatchObject({
      name: 'prod-hcloud-token', namespace: 'fleet-default', annotations: { 'rke.cattle.io/object-authorized-for-clusters': 'prod' }
    });
    const manifest = Buffer.from(secret.data['hetzner-hcloud-token.yaml'], 'base64').toString('utf8');

    expect(manifest).toBe(downstreamSecretManifest(TOKEN));
    expect(jsyaml.load(manifest)).toEqual({
      apiVersion: 'v1', kind: 'Secret', metadata: { name: 'hcloud', namespace: 'kube-system' }, type: 'Opaque', stringData: { token: TOKEN }
    });
  });
});

describe('cloud provider option: refusals', () => {
  const refused = (c: ClusterLike, pools: PoolInput[]) => {
    const before = JSON.stringify(c);
    const { plan, problems } = planCloudProvider(c, pools);

    expect(plan).toBeUndefined();
    expect(JSON.stringify(c)).toBe(before);

    return problems;
  };

  it('pools on different private networks, or some on none', () => {
    expect(refused(cluster(RKE2), [pool('a', { networks: ['n1'] }), pool('b', { networks: ['n2:10.0.0.5'] })])).toEqual([
      {
        key:  'networksDiffer',
        args: {
          pool: 'b', network: 'n2', other: 'a', otherNetwork: 'n1'
        }
      },
    ]);
    expect(refused(cluster(RKE2), [pool('a'), pool('b', { networks: ['n1'] })])).toEqual([
      {
        key:  'networkMissing',
        args: {
          pool: 'a', other: 'b', network: 'n1'
        }
      },
    ]);
  });

  it('IPv6-only pools mixed with IPv4 ones', () => {
    expect(refused(cluster(RKE2), [pool('v4'), pool('v6', { disablePublicIpv4: true })])).toEqual([
      { key: 'familyMixed', args: { pool: 'v6', other: 'v4' } },
    ]);
  });

  it('a hostname length limit under 63, on a pool or as the pools\' default', () => {
    expect(refused(cluster(RKE2), [pool('a', {}, 40)])).toEqual([{ key: 'hostnameLimit', args: { pool: 'a', limit: 40 } }]);
    expect(refused(cluster(RKE2, { machinePoolDefaults: { hostnameLengthLimit: 20 } }), [pool('a'), pool('b', {}, 63)])).toEqual([
      { key: 'hostnameLimit', args: { pool: 'a', limit: 20 } },
    ]);
    expect(planCloudProvider(cluster(RKE2), [pool('a', {}, 63)]).problems).toEqual([]);
  });

  it('another cloud provider, a kubelet cloud-provider flag, charts already in the manifest, no pools, unknown distribution', () => {
    expect(refused(cluster(RKE2, { machineSelectorConfig: [{ config: { 'cloud-provider-name': 'aws' } }] }), [pool('a')])).toEqual([
      { key: 'cloudProvider', args: { name: 'aws' } },
    ]);
    expect(refused(cluster(K3S, { machineSelectorConfig: [{ config: { 'kubelet-arg': ['cloud-provider=aws'] } }] }), [pool('a')])).toEqual([
      { key: 'kubeletArg', args: { arg: 'cloud-provider=aws' } },
    ]);
    expect(refused(cluster(RKE2, { additionalManifest: 'kind: HelmChart\nspec:\n  chart: hcloud-csi\n' }), [pool('a')])).toEqual([
      { key: 'manifestConflict', args: { what: 'hcloud-csi' } },
    ]);
    expect(refused(cluster(RKE2), [])).toEqual([{ key: 'noPools' }]);
    expect(refused(cluster('v1.33.5'), [pool('a')])).toEqual([{ key: 'distro', args: { version: 'v1.33.5' } }]);
    // "Default" (unset or rke2) and "External" are taken over.
    expect(planCloudProvider(cluster(RKE2, { machineSelectorConfig: [{ config: { 'cloud-provider-name': '' } }] }), [pool('a')]).problems).toEqual([]);
    expect(planCloudProvider(cluster(RKE2, { machineGlobalConfig: { 'cloud-provider-name': 'external' } }), [pool('a')]).problems).toEqual([]);
  });
});

/** Leaf key paths of a values object, as the fixture records them. */
function leafPaths(obj: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) => {
    const p = prefix ? `${ prefix }.${ k }` : k;

    return v && typeof v === 'object' && !Array.isArray(v) ? leafPaths(v as Record<string, unknown>, p) : [p];
  });
}

describe('cloud provider option: chart values against the charts\' values.yaml', () => {
  const ccmChart = charts.charts['hcloud-cloud-controller-manager'];
  const csiChart = charts.charts['hcloud-csi'];
  const plans: CloudProviderPlan[] = [
    planOf(cluster(RKE2), [pool('a')]),
    planOf(cluster(K3S), [pool('a', { networks: ['n'] })]),
    { ...planOf(cluster(RKE2), [pool('a', { disablePublicIpv4: true })]), endpoint: 'https://hcloud.example/v1' },
  ];

  it('pins the charts the fixture was read from', () => {
    const c = cluster(RKE2);

    applyCloudProvider(c, plans[0]);
    const [ccm, csi] = manifestCharts(c);

    expect([ccm.spec.version, ccm.spec.repo]).toEqual([ccmChart.version, ccmChart.repo]);
    expect([csi.spec.version, csi.spec.repo]).toEqual([csiChart.version, csiChart.repo]);
  });

  it('every CCM value is a key of its values.yaml; env entries are variables the CCM reads', () => {
    const known = Object.keys(ccmChart.values);

    for (const plan of plans) {
      const values = ccmValues(plan) as { env: Record<string, unknown> };

      for (const name of Object.keys(values.env)) expect(ccmChart.envRead, name).toContain(name);
      expect(known).toContain('env.HCLOUD_TOKEN.valueFrom.secretKeyRef.name');
      for (const p of leafPaths(values).filter((p) => !p.startsWith('env.'))) {
        // networking.network is the env source (value or valueFrom) the chart templates into HCLOUD_NETWORK.
        const key = p.startsWith('networking.network.') ? 'networking.network.valueFrom.secretKeyRef.name' : p;

        expect(known, p).toContain(key);
      }
      expect(ccmChart.addressFamilies).toContain(plan.addressFamily);
    }
  });

  it('the token Secret is the one both charts read by default; the chart defaults we override differ from ours', () => {
    expect(ccmChart.values['env.HCLOUD_TOKEN.valueFrom.secretKeyRef.name']).toBe('hcloud');
    expect(ccmChart.values['env.HCLOUD_TOKEN.valueFrom.secretKeyRef.key']).toBe('token');
    expect(csiChart.values['controller.hcloudToken.existingSecret.name']).toBe('hcloud');
    expect(csiChart.values['controller.hcloudToken.existingSecret.key']).toBe('token');
    // The chart's pod CIDR is Flannel's, not RKE2's/K3s's: it must be set.
    expect(ccmChart.values['networking.clusterCIDR']).not.toBe(plans[1].clusterCidr);
    expect(ccmChart.values['networking.enabled']).toBe(false);
  });

  it('every CSI value is a key of its values.yaml', () => {
    const known = Object.keys(csiChart.values);

    for (const plan of plans) {
      for (const p of leafPaths(csiValues(plan))) expect(known, p).toContain(p);
    }
  });
});

// Rancher names the server (rancher-machine's instance name) and the host (which becomes the node name) from the same
// machine name, by two functions (pkg/controllers/capr/machineprovision/args.go, 2.11–2.15): the instance name with
// wrangler's name.SafeConcatName (cut at 63 characters), the host name with capr.SafeConcatName(limit) where limit is
// the pool's hostnameLengthLimit (10–63, default 63); a host name that differs is passed as --hostname-override.
// Written here from their description, to show when the two names can differ.
function instanceName(name: string): string {
  const n = name.replace(/\./g, '-');

  if (n.length < 64) return n;
  const hash = createHash('sha256').update(n).digest('hex');

  return /[a-z0-9]/.test(n[56]) ? `${ n.slice(0, 57) }-${ hash.slice(0, 5) }` : `${ n.slice(0, 56) }-${ hash.slice(0, 6) }`;
}

function hostName(name: string, limit: number): string {
  const n = name.replace(/\./g, '-');

  if (n.length <= limit) return n;
  const hash = createHash('sha256').update(n).digest('hex');
  const cut = limit - 7;

  return /[a-z0-9]/.test(n[cut]) ? `${ n.slice(0, limit - 6) }-${ hash.slice(0, 5) }` : `${ n.slice(0, cut) }-${ hash.slice(0, 6) }`;
}

describe('node name == server name under Rancher\'s hostname truncation', () => {
  // Machine names as Rancher makes them (<cluster>-<pool>-<hash>-<suffix>), every length up to 120, with a letter, a
  // digit and a "-" or "." at the cut.
  const names: string[] = [];

  for (let len = 1; len <= 120; len++) {
    for (const at56 of ['a', '7', '-', '.']) {
      const base = `prod-cluster.workers-${ 'x'.repeat(120) }`.slice(0, len).split('');

      if (len > 56) base[56] = at56;
      names.push(base.join('').replace(/^[-.]/, 'a'));
    }
  }

  it('with the default limit (63) the host name is the server name for every machine name', () => {
    for (const n of names) expect(hostName(n, 63), n).toBe(instanceName(n));
  });

  it('with any lower limit, long machine names give a host name that is not the server name (hence the refusal)', () => {
    for (let limit = 10; limit < 63; limit++) {
      const long = names.filter((n) => n.length > limit);

      expect(long.length).toBeGreaterThan(0);
      for (const n of long) expect(hostName(n, limit), `${ n } @${ limit }`).not.toBe(instanceName(n));
      expect(planCloudProvider(cluster(RKE2), [pool('p', {}, limit)]).problems[0]?.key).toBe('hostnameLimit');
    }
  });
});
