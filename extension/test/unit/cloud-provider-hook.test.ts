// The save hooks of the cloud provider option as rke2.vue runs them: the `hetzner` provisioner registers them, the
// before hook (with the page as `this`) reads the token from the cluster's credential into the token Secret and writes
// the spec; the after hook makes the saved cluster the Secret's owner. Refusals leave nothing behind.
import { describe, expect, it } from 'vitest';
import { ENABLE_ANNOTATION } from '../../pkg/hetzner-node-driver/lib/cloud-provider';
import { afterSave, beforeSave, type HookCluster, type PoolEntry } from '../../pkg/hetzner-node-driver/lib/cloud-provider-hook';
import HetznerProvisioner, { HOOK_NAME } from '../../pkg/hetzner-node-driver/provisioner/hetzner';
import { t } from './i18n';

const TOKEN = 'hook-token-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const CREDENTIAL = { metadata: { name: 'cc-x', namespace: 'cattle-global-data' }, data: { 'hetznercredentialConfig-apiToken': b64(TOKEN) } };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- kube objects of any shape, read field by field
type Obj = Record<string, any>;

/** The Dashboard store as the hook uses it: management/find (404 when absent), management/create, model save(). */
function fakeStore(seed: Record<string, Obj | number>, isCreate = true) {
  const objects: Record<string, Obj | number> = { ...seed };
  const actions: string[] = [];
  const model = (o: Obj) => ({
    ...structuredClone(o),
    async save(this: Obj) {
      const { save: _s, ...plain } = this;

      objects[`${ plain.metadata.namespace }/${ plain.metadata.name }`] = structuredClone(plain);
      actions.push(`save ${ plain.metadata.namespace }/${ plain.metadata.name }`);
    },
  });
  const ctx = {
    isCreate,
    getters:  { 'i18n/t': (key: string, args?: Record<string, unknown>) => t(key, args, true) },
    dispatch: async(action: string, payload: Obj) => {
      actions.push(`${ action } ${ payload.id ?? `${ payload.metadata.namespace }/${ payload.metadata.name }` }`);
      if (action === 'management/find') {
        const o = objects[payload.id];

        if (typeof o === 'number') throw Object.defineProperty({ message: 'denied' }, '_status', { value: o });
        if (!o) throw Object.defineProperty({ message: 'not found' }, '_status', { value: 404 });

        return model(o);
      }
      if (action === 'management/create') return model(payload);
      throw new Error(`unexpected ${ action }`);
    },
  };

  return {
    ctx, objects, actions
  };
}

function newCluster(enabled = true): HookCluster {
  return {
    metadata: {
      name: 'prod', namespace: 'fleet-default', annotations: enabled ? { [ENABLE_ANNOTATION]: 'hcloud' } : {}
    },
    spec: {
      kubernetesVersion: 'v1.33.5+rke2r1', cloudCredentialSecretName: 'cattle-global-data:cc-x', rkeConfig: { machineGlobalConfig: { cni: 'canal' } }
    },
  };
}
const pools = (...configs: Obj[]): PoolEntry[] => configs.map((c, i) => ({
  pool:   { name: `p${ i }` },
  config: {
    type: 'rke-machine-config.cattle.io.hetznerconfig', serverLocation: 'nbg1', ...c
  }
}));

describe('cloud provider save hooks', () => {
  it('create with the option: token Secret from the credential, spec written, token never in the cluster', async() => {
    const { ctx, objects } = fakeStore({ 'cattle-global-data/cc-x': CREDENTIAL });
    const cluster = newCluster();

    await beforeSave(ctx, cluster, pools({ networks: ['k8s'] }));
    const secret = objects['fleet-default/prod-hcloud-token'] as Obj;

    expect(secret.metadata.annotations).toEqual({ 'rke.cattle.io/object-authorized-for-clusters': 'prod' });
    expect(Buffer.from(secret.data['hetzner-hcloud-token.yaml'], 'base64').toString()).toContain(`"token": "${ TOKEN }"`);
    expect(cluster.spec.rkeConfig?.machineGlobalConfig).toMatchObject({ 'cloud-provider-name': 'external', 'disable-cloud-controller': true });
    expect(cluster.spec.rkeConfig?.additionalManifest).toContain('\\"value\\": \\"k8s\\"');
    expect(cluster.spec.rkeConfig?.machineSelectorFiles?.[0].fileSources?.[0].secret?.name).toBe('prod-hcloud-token');
    expect(JSON.stringify(cluster)).not.toContain(TOKEN);
    expect(JSON.stringify(cluster)).not.toContain(b64(TOKEN));

    cluster.metadata.uid = 'uid-1';
    await afterSave(ctx, cluster);
    expect((objects['fleet-default/prod-hcloud-token'] as Obj).metadata.ownerReferences).toEqual([
      {
        apiVersion: 'provisioning.cattle.io/v1', kind: 'Cluster', name: 'prod', uid: 'uid-1'
      },
    ]);
  });

  it('a credential with its own API endpoint: both charts get HCLOUD_ENDPOINT; Hetzner\'s own adds nothing', async() => {
    const withEndpoint = (e: string) => ({ ...CREDENTIAL, data: { ...CREDENTIAL.data, 'hetznercredentialConfig-apiEndpoint': b64(e) } });
    const custom = fakeStore({ 'cattle-global-data/cc-x': withEndpoint('https://hcloud.internal.example/v1/') });
    const c1 = newCluster();

    await beforeSave(custom.ctx, c1, pools({}));
    expect(c1.spec.rkeConfig?.additionalManifest).toContain('\\"HCLOUD_ENDPOINT\\": {\\n      \\"value\\": \\"https://hcloud.internal.example/v1\\"');
    expect(c1.spec.rkeConfig?.additionalManifest).toContain('\\"name\\": \\"HCLOUD_ENDPOINT\\",\\n        \\"value\\": \\"https://hcloud.internal.example/v1\\"');
    const standard = fakeStore({ 'cattle-global-data/cc-x': withEndpoint('https://api.hetzner.cloud/v1') });
    const c2 = newCluster();

    await beforeSave(standard.ctx, c2, pools({}));
    expect(c2.spec.rkeConfig?.additionalManifest).not.toContain('HCLOUD_ENDPOINT');
  });

  it('without the page\'s pools, reads the machine configs the cluster names from the store', async() => {
    const { ctx } = fakeStore({ 'cattle-global-data/cc-x': CREDENTIAL });
    const configs: Record<string, Obj> = { 'fleet-default/nc-a': { serverLocation: 'hel1', networks: ['lan'] } };
    const cluster = newCluster();

    Object.assign(ctx.getters, { 'management/byId': (type: string, id: string) => (type === 'rke-machine-config.cattle.io.hetznerconfig' ? configs[id] : undefined) });
    (cluster.spec.rkeConfig as Obj).machinePools = [
      { name: 'a', machineConfigRef: { kind: 'HetznerConfig', name: 'nc-a' } },
      { name: 'custom', machineConfigRef: { kind: 'Amazonec2Config', name: 'nc-b' } },
    ];
    await beforeSave(ctx, cluster, undefined);
    expect(cluster.spec.rkeConfig?.additionalManifest).toContain('\\"value\\": \\"lan\\"');
    expect(cluster.spec.rkeConfig?.additionalManifest).toContain('\\"hcloudVolumeDefaultLocation\\": \\"hel1\\"');
  });

  it('does nothing without the option, or when not creating', async() => {
    for (const [enabled, isCreate] of [[false, true], [true, false]]) {
      const { ctx, actions } = fakeStore({ 'cattle-global-data/cc-x': CREDENTIAL }, isCreate);
      const cluster = newCluster(enabled);
      const before = JSON.stringify(cluster);

      await beforeSave(ctx, cluster, pools({}));
      await afterSave(ctx, cluster);
      expect(JSON.stringify(cluster)).toBe(before);
      expect(actions).toEqual([]);
    }
  });

  it('a refusal names every problem in words, creates no Secret and leaves the spec alone', async() => {
    const { ctx, actions } = fakeStore({ 'cattle-global-data/cc-x': CREDENTIAL });
    const cluster = newCluster();
    const before = JSON.stringify(cluster);
    const entries = pools({ networks: ['a'] }, { networks: ['b'] });

    entries[1].pool!.hostnameLengthLimit = 30;
    await expect(beforeSave(ctx, cluster, entries)).rejects.toThrow(
      'Pool p1 is on network b and pool p0 on a: the cloud controller manager works with one network for all nodes. Pool p1 limits host names to 30 characters',
    );
    expect(actions).toEqual([]);
    expect(JSON.stringify(cluster)).toBe(before);
  });

  it('an unreadable credential or one without a token: a clear error, nothing written', async() => {
    for (const [seed, message] of [
      [403, 'The cloud credential cattle-global-data:cc-x could not be read (HTTP 403)'],
      [{ metadata: CREDENTIAL.metadata, data: {} }, 'The cloud credential cattle-global-data:cc-x holds no Hetzner API token.'],
    ] as const) {
      const { ctx, actions } = fakeStore({ 'cattle-global-data/cc-x': seed as Obj | number });
      const cluster = newCluster();
      const before = JSON.stringify(cluster);

      await expect(beforeSave(ctx, cluster, pools({}))).rejects.toThrow(message);
      expect(actions.filter((a) => !a.startsWith('management/find'))).toEqual([]);
      expect(JSON.stringify(cluster)).toBe(before);
    }
  });

  it('a retried save updates its own Secret; a Secret of that name made for something else is refused', async() => {
    const own = {
      metadata: {
        name: 'prod-hcloud-token', namespace: 'fleet-default', annotations: { 'rke.cattle.io/object-authorized-for-clusters': 'prod' }
      },
      data: { old: 'x' }
    };
    const { ctx, objects, actions } = fakeStore({ 'cattle-global-data/cc-x': CREDENTIAL, 'fleet-default/prod-hcloud-token': own });

    await beforeSave(ctx, newCluster(), pools({}));
    expect(actions.filter((a) => a.startsWith('management/create'))).toEqual([]);
    expect(Object.keys((objects['fleet-default/prod-hcloud-token'] as Obj).data)).toEqual(['hetzner-hcloud-token.yaml']);

    const foreign = {
      metadata: {
        name: 'prod-hcloud-token', namespace: 'fleet-default', annotations: {}
      },
      data: { keep: 'me' }
    };
    const other = fakeStore({ 'cattle-global-data/cc-x': CREDENTIAL, 'fleet-default/prod-hcloud-token': foreign });
    const cluster = newCluster();

    await expect(beforeSave(other.ctx, cluster, pools({}))).rejects.toThrow('The Secret fleet-default/prod-hcloud-token exists and was not made for this cluster');
    expect((other.objects['fleet-default/prod-hcloud-token'] as Obj).data).toEqual({ keep: 'me' });
    expect(cluster.spec.rkeConfig?.additionalManifest).toBeUndefined();
  });

  it('the provisioner registers both hooks by name and reads the pools from the page it runs on', async() => {
    const { ctx, objects } = fakeStore({ 'cattle-global-data/cc-x': CREDENTIAL });
    const cluster = newCluster();
    const hooks: Record<string, { fn: (c: HookCluster) => Promise<void>; priority?: number }> = {};
    const provisioner = new HetznerProvisioner(ctx);

    expect(provisioner).toMatchObject({
      id: 'hetzner', hideCreate: true, hidden: true
    });
    provisioner.registerSaveHooks(
      (fn, name, priority) => (hooks[`before:${ name }`] = { fn, priority }),
      (fn, name, priority) => (hooks[`after:${ name }`] = { fn, priority }),
      cluster,
    );
    expect(Object.keys(hooks)).toEqual([`before:${ HOOK_NAME }`, `after:${ HOOK_NAME }`]);
    // Default priority (99): after rke2.vue's save-machine-pools (1–2), which saves the machine configs.
    expect(hooks[`before:${ HOOK_NAME }`].priority).toBeUndefined();
    const page = {
      machinePools: [...pools({ disablePublicIpv4: true }), {
        remove: true, pool: { name: 'gone' }, config: { type: 'rke-machine-config.cattle.io.hetznerconfig' }
      }]
    };

    await hooks[`before:${ HOOK_NAME }`].fn.call(page, cluster);
    expect(cluster.spec.rkeConfig?.additionalManifest).toContain('\\"value\\": \\"ipv6\\"');
    cluster.metadata.uid = 'u';
    await hooks[`after:${ HOOK_NAME }`].fn.call(page, cluster);
    expect((objects['fleet-default/prod-hcloud-token'] as Obj).metadata.ownerReferences[0].uid).toBe('u');
  });
});
