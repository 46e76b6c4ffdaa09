// The cluster-create save hooks of the "Hetzner as the cloud provider" option (registered by the `hetzner`
// provisioner through rke2.vue's registerSaveHooks). Before the cluster is saved: check the pools, read the API token
// from the cluster's cloud credential, create or update the token Secret (so the cluster never exists without it),
// then write the spec changes. After: make the cluster the Secret's owner, so deleting the cluster deletes it. The
// token only ever goes into that Secret, never into the cluster object.
import type { HetznerConfig } from './config';
import {
  applyCloudProvider, AUTHORIZED_ANNOTATION, ENABLE_ANNOTATION, ENABLE_VALUE, planCloudProvider, secretNameFor, upstreamSecret,
  type ClusterLike, type PoolInput, type Problem
} from './cloud-provider';

/** What the provisioner is constructed with (ClusterProvisionerContext) and uses here. */
export interface HookContext {
  dispatch(action: string, payload?: unknown): Promise<unknown>;
  getters: Record<string, unknown>;
  isCreate?: boolean;
}

/** A saved-or-new kube object as the Dashboard's store returns it. */
interface StoreObject {
  metadata?: { name?: string; namespace?: string; uid?: string; ownerReferences?: unknown[]; annotations?: Record<string, string> };
  data?: Record<string, string>;
  save(): Promise<unknown>;
  [key: string]: unknown;
}

/** rke2.vue's machine pool entries (`this.machinePools`), as far as read here. */
export interface PoolEntry {
  remove?: boolean;
  pool?: { name?: string; hostnameLengthLimit?: number };
  config?: HetznerConfig & { type?: string };
}

export interface HookCluster extends ClusterLike {
  metadata: ClusterLike['metadata'] & { uid?: string };
  apiVersion?: string;
  kind?: string;
}

const MACHINE_CONFIG_TYPE = 'rke-machine-config.cattle.io.hetznerconfig';

/** The key under which Rancher stores a Hetzner credential's token (the node driver's credential field). */
export const CREDENTIAL_TOKEN_KEY = 'hetznercredentialConfig-apiToken';
export const CREDENTIAL_ENDPOINT_KEY = 'hetznercredentialConfig-apiEndpoint';
const HETZNER_ENDPOINT = 'https://api.hetzner.cloud/v1';

export class CloudProviderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CloudProviderError';
  }
}

export function isEnabled(cluster: ClusterLike): boolean {
  return cluster.metadata.annotations?.[ENABLE_ANNOTATION] === ENABLE_VALUE;
}

function translate(ctx: HookContext, p: Problem): string {
  const t = ctx.getters['i18n/t'] as ((key: string, args?: unknown) => string | undefined) | undefined;
  const key = `hetzner.cloudProvider.problems.${ p.key }`;

  return t?.(key, p.args) ?? `${ key } ${ JSON.stringify(p.args ?? {}) }`;
}

/** The Hetzner pools that stay: from rke2.vue's entries, or from the store by the cluster's machineConfigRefs. */
export function poolsOf(ctx: HookContext, cluster: HookCluster, entries: PoolEntry[] | undefined): PoolInput[] {
  if (Array.isArray(entries)) {
    return entries
      .filter((e) => !e.remove && e.config && (!e.config.type || e.config.type === MACHINE_CONFIG_TYPE))
      .map((e) => ({
        name: e.pool?.name ?? '', config: e.config as HetznerConfig, hostnameLengthLimit: e.pool?.hostnameLengthLimit
      }));
  }
  const byId = ctx.getters['management/byId'] as ((type: string, id: string) => HetznerConfig | undefined) | undefined;
  const refs = ((cluster.spec.rkeConfig as { machinePools?: { name: string; hostnameLengthLimit?: number; machineConfigRef?: { kind?: string; name?: string } }[] })?.machinePools ?? []);

  return refs
    .filter((p) => p.machineConfigRef?.kind === 'HetznerConfig' && p.machineConfigRef.name)
    .map((p) => ({
      name: p.name, hostnameLengthLimit: p.hostnameLengthLimit, config: byId?.(MACHINE_CONFIG_TYPE, `${ cluster.metadata.namespace }/${ p.machineConfigRef?.name }`) ?? {}
    }));
}

function decode(b64: string): string {
  const bin = atob(b64);

  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

/**
 * The token and API endpoint (when not Hetzner's) of the cluster's cloud credential ("cattle-global-data:cc-…" is the
 * Secret cattle-global-data/cc-…).
 */
async function credentialOf(ctx: HookContext, cluster: HookCluster, t: (p: Problem) => string): Promise<{ token: string; endpoint?: string }> {
  const ref = cluster.spec.cloudCredentialSecretName;

  if (!ref) throw new CloudProviderError(t({ key: 'noCredential' }));
  const id = ref.replace(':', '/');
  let secret: StoreObject;

  try {
    secret = (await ctx.dispatch('management/find', {
      type: 'secret', id, opt: { force: true }
    })) as StoreObject;
  } catch (e) {
    const status = (e as { _status?: number; status?: number })?._status ?? (e as { status?: number })?.status;

    throw new CloudProviderError(t({ key: 'credentialUnreadable', args: { id: ref, reason: status ? `HTTP ${ status }` : 'error' } }));
  }
  const encoded = secret?.data?.[CREDENTIAL_TOKEN_KEY];

  if (!encoded) throw new CloudProviderError(t({ key: 'credentialNoToken', args: { id: ref } }));
  const endpoint = decode(secret.data?.[CREDENTIAL_ENDPOINT_KEY] ?? '').trim().replace(/\/+$/, '');

  return { token: decode(encoded).trim(), endpoint: endpoint && endpoint !== HETZNER_ENDPOINT ? endpoint : undefined };
}

async function findSecret(ctx: HookContext, id: string): Promise<StoreObject | undefined> {
  try {
    return (await ctx.dispatch('management/find', {
      type: 'secret', id, opt: { force: true }
    })) as StoreObject;
  } catch (e) {
    const status = (e as { _status?: number })?._status ?? (e as { status?: number })?.status;

    if (status === 404) return undefined;
    throw e;
  }
}

/** Before save: refusals first (nothing is written), then the Secret, then the spec. */
export async function beforeSave(ctx: HookContext, cluster: HookCluster, entries: PoolEntry[] | undefined): Promise<void> {
  if (!ctx.isCreate || !isEnabled(cluster)) return;
  const t = (p: Problem) => translate(ctx, p);
  const { plan, problems } = planCloudProvider(cluster, poolsOf(ctx, cluster, entries));

  if (!plan) throw new CloudProviderError(problems.map(t).join(' '));
  const { token, endpoint } = await credentialOf(ctx, cluster, t);

  plan.endpoint = endpoint;
  const wanted = upstreamSecret(cluster, plan, token);
  const existing = await findSecret(ctx, `${ cluster.metadata.namespace }/${ plan.secretName }`);

  if (existing) {
    // Only ever our own Secret (a retried save); never overwrite someone else's.
    if (existing.metadata?.annotations?.[AUTHORIZED_ANNOTATION] !== cluster.metadata.name) {
      throw new CloudProviderError(t({ key: 'secretExists', args: { name: `${ cluster.metadata.namespace }/${ plan.secretName }` } }));
    }
    existing.data = wanted.data as Record<string, string>;
    await existing.save();
  } else {
    const created = (await ctx.dispatch('management/create', wanted)) as StoreObject;

    await created.save();
  }
  applyCloudProvider(cluster, plan);
}

/** After save: the new cluster owns the Secret. */
export async function afterSave(ctx: HookContext, cluster: HookCluster): Promise<void> {
  if (!ctx.isCreate || !isEnabled(cluster)) return;
  const t = (p: Problem) => translate(ctx, p);
  const name = `${ cluster.metadata.namespace }/${ secretNameFor(cluster.metadata.name) }`;
  const secret = await findSecret(ctx, name);

  if (!secret || !cluster.metadata.uid) throw new CloudProviderError(t({ key: 'ownerNotSet', args: { name } }));
  secret.metadata = {
    ...secret.metadata,
    ownerReferences: [{
      apiVersion: 'provisioning.cattle.io/v1', kind: 'Cluster', name: cluster.metadata.name, uid: cluster.metadata.uid
    }],
  };
  await secret.save();
}
