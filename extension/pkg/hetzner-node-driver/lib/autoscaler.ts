// What the cluster autoscaler reads from an RKE2/K3s machine pool (the pool object of the cluster's
// spec.rkeConfig.machinePools, which the host hands the form through `machinePools`):
// - The upstream autoscaler's `rancher` provider (kubernetes/autoscaler, cluster-autoscaler/cloudprovider/rancher)
//   reads the pool's `machineDeploymentAnnotations`: min and max size as integers, and, to scale a pool up from
//   zero nodes, the capacity of one node as Kubernetes quantities (cpu, memory, ephemeral-storage). A pool without
//   min/max is not scaled; a min/max that is not an integer stops the autoscaler's refresh for the whole cluster,
//   so nothing but validated integers is ever written.
// - Rancher 2.13+ with its `cluster-autoscaling` feature runs its own autoscaler from the pool's
//   `autoscalingMinSize` / `autoscalingMaxSize` (the Dashboard's pool form shows them then); Rancher refuses them on
//   etcd and control-plane pools with a min of 0, and the Dashboard drops them when such a role is set. That
//   autoscaler is the upstream one with its Cluster API provider (cloudprovider/clusterapi), which scales Rancher's
//   MachineDeployments; Rancher copies the pool's machineDeploymentAnnotations onto them, and that provider takes a
//   node's capacity for scaling up from zero from `capacity.cluster-autoscaler.kubernetes.io/{cpu,memory,
//   ephemeral-disk}`. Both sets of capacity annotations are written, with the same values.
import type { ServerType } from './hcloud';

export const AUTOSCALER_ANNOTATIONS = {
  minSize:          'cluster.provisioning.cattle.io/autoscaler-min-size',
  maxSize:          'cluster.provisioning.cattle.io/autoscaler-max-size',
  cpu:              'cluster.provisioning.cattle.io/autoscaler-resource-cpu',
  memory:           'cluster.provisioning.cattle.io/autoscaler-resource-memory',
  ephemeralStorage: 'cluster.provisioning.cattle.io/autoscaler-resource-ephemeral-storage',
  capiCpu:          'capacity.cluster-autoscaler.kubernetes.io/cpu',
  capiMemory:       'capacity.cluster-autoscaler.kubernetes.io/memory',
  capiDisk:         'capacity.cluster-autoscaler.kubernetes.io/ephemeral-disk',
} as const;

const OUR_KEYS: string[] = Object.values(AUTOSCALER_ANNOTATIONS);

/** The parts of a machine pool (RKEMachinePool) the autoscaler section reads and writes. */
export interface AutoscalerPool {
  name?: string;
  quantity?: number | string | null;
  etcdRole?: boolean;
  controlPlaneRole?: boolean;
  machineDeploymentAnnotations?: Record<string, string> | null;
  autoscalingMinSize?: number | null;
  autoscalingMaxSize?: number | null;
}

/** One node's capacity as the autoscaler's scale-from-zero template takes it. */
export interface NodeCapacity {
  cpu: string;
  memory: string;
  ephemeralStorage: string;
}

/**
 * Hetzner gives memory and disk in GB. They are written in decimal units ("4G" = 4·10⁹ bytes), a little below the
 * binary size the server has: a node's allocatable memory and its root filesystem are smaller than the nominal size
 * anyway, and a template that promises more than a real node has makes the autoscaler add nodes the pending pod
 * still does not fit on. Fractions (0.5 GB) become megabytes.
 */
export function gbQuantity(gb: number): string {
  return Number.isInteger(gb) ? `${ gb }G` : `${ Math.floor(gb * 1000) }M`;
}

export function typeCapacity(t: Pick<ServerType, 'cores' | 'memory' | 'disk'>): NodeCapacity {
  return {
    cpu: String(t.cores), memory: gbQuantity(t.memory), ephemeralStorage: gbQuantity(t.disk)
  };
}

export interface PoolCapacity {
  capacity: NodeCapacity;
  /** The types the pool may be created with, in the order of the list. */
  types: ServerType[];
  /** The types differ in cores, memory or disk: the capacity is the smallest of each over all of them. */
  mixed: boolean;
}

/**
 * The capacity every node of the pool is sure to have: with a fallback list, any of its types may be created, so
 * the template takes the smallest cores, memory and disk over all of them. Undefined when a name is not in
 * `types` (catalogue not loaded, or an unknown type, which validation reports).
 */
export function poolCapacity(types: ServerType[], names: string[]): PoolCapacity | undefined {
  const chosen = names.map((n) => types.find((t) => t.name === n));

  if (!chosen.length || chosen.some((t) => !t)) return undefined;
  const list = chosen as ServerType[];
  const smallest = {
    cores:  Math.min(...list.map((t) => t.cores)),
    memory: Math.min(...list.map((t) => t.memory)),
    disk:   Math.min(...list.map((t) => t.disk)),
  };
  const sizes = new Set(list.map((t) => `${ t.cores }/${ t.memory }/${ t.disk }`));

  return {
    capacity: typeCapacity(smallest), types: list, mixed: sizes.size > 1
  };
}

/** A size as typed: a whole number from 0, else undefined. */
export function parseSize(value: unknown): number | undefined {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';

  return /^\d{1,9}$/.test(text) ? Number(text) : undefined;
}

export interface AutoscalingState {
  enabled: boolean;
  min?: number;
  max?: number;
}

/** The pool's autoscaling as either autoscaler would read it; Rancher's own fields win where they are set. */
export function autoscalingOf(pool: AutoscalerPool | undefined): AutoscalingState {
  const a = pool?.machineDeploymentAnnotations ?? {};
  const hasRancher = pool?.autoscalingMinSize !== undefined && pool?.autoscalingMinSize !== null;
  const hasAnnotation = a[AUTOSCALER_ANNOTATIONS.minSize] !== undefined && a[AUTOSCALER_ANNOTATIONS.maxSize] !== undefined;

  if (!hasRancher && !hasAnnotation) return { enabled: false };

  return {
    enabled: true,
    min:     parseSize(hasRancher ? pool?.autoscalingMinSize : a[AUTOSCALER_ANNOTATIONS.minSize]),
    max:     parseSize(hasRancher ? pool?.autoscalingMaxSize : a[AUTOSCALER_ANNOTATIONS.maxSize]),
  };
}

export interface AutoscalingSettings {
  min: number;
  max: number;
  /** Undefined keeps the resource annotations the pool has (the catalogue could not say). */
  capacity?: NodeCapacity;
  /** Write Rancher's own autoscalingMinSize / autoscalingMaxSize too. */
  rancherFields: boolean;
}

/**
 * Writes the annotations (and Rancher's fields when asked) onto the pool. Annotations of others are kept; the
 * object is replaced, not mutated, so the host sees the change. Returns whether anything changed.
 */
export function applyAutoscaling(pool: AutoscalerPool, s: AutoscalingSettings): boolean {
  const before = pool.machineDeploymentAnnotations ?? {};
  const next: Record<string, string> = {
    ...before,
    [AUTOSCALER_ANNOTATIONS.minSize]: String(s.min),
    [AUTOSCALER_ANNOTATIONS.maxSize]: String(s.max),
  };

  if (s.capacity) {
    next[AUTOSCALER_ANNOTATIONS.cpu] = s.capacity.cpu;
    next[AUTOSCALER_ANNOTATIONS.memory] = s.capacity.memory;
    next[AUTOSCALER_ANNOTATIONS.ephemeralStorage] = s.capacity.ephemeralStorage;
    next[AUTOSCALER_ANNOTATIONS.capiCpu] = s.capacity.cpu;
    next[AUTOSCALER_ANNOTATIONS.capiMemory] = s.capacity.memory;
    next[AUTOSCALER_ANNOTATIONS.capiDisk] = s.capacity.ephemeralStorage;
  }
  let changed = false;

  if (OUR_KEYS.some((k) => before[k] !== next[k])) {
    pool.machineDeploymentAnnotations = next;
    changed = true;
  }
  if (s.rancherFields && (pool.autoscalingMinSize !== s.min || pool.autoscalingMaxSize !== s.max)) {
    pool.autoscalingMinSize = s.min;
    pool.autoscalingMaxSize = s.max;
    changed = true;
  }

  return changed;
}

/** Takes the pool out of autoscaling: our annotations and Rancher's fields go, other annotations stay. */
export function clearAutoscaling(pool: AutoscalerPool): void {
  const before = pool.machineDeploymentAnnotations;

  if (before && OUR_KEYS.some((k) => k in before)) {
    pool.machineDeploymentAnnotations = Object.fromEntries(Object.entries(before).filter(([k]) => !OUR_KEYS.includes(k)));
  }
  if ('autoscalingMinSize' in pool) delete pool.autoscalingMinSize;
  if ('autoscalingMaxSize' in pool) delete pool.autoscalingMaxSize;
}

export interface AutoscalerIssue {
  key: string;
  args?: Record<string, string | number>;
}

/**
 * Errors block saving (a bad size would stop the autoscaler for the whole cluster); warnings explain what the
 * autoscaler will do with what was chosen.
 */
export function autoscalerIssues(input: {
  min: unknown;
  max: unknown;
  pool: AutoscalerPool | undefined;
  capacity?: PoolCapacity;
}): { errors: AutoscalerIssue[]; warnings: AutoscalerIssue[] } {
  const errors: AutoscalerIssue[] = [];
  const warnings: AutoscalerIssue[] = [];
  const min = parseSize(input.min);
  const max = parseSize(input.max);

  if (min === undefined) errors.push({ key: 'hetzner.autoscaler.validation.min' });
  if (max === undefined) errors.push({ key: 'hetzner.autoscaler.validation.max' });
  if (min !== undefined && max !== undefined && min > max) {
    errors.push({ key: 'hetzner.autoscaler.validation.minAboveMax', args: { min, max } });
  }
  if (input.pool?.etcdRole || input.pool?.controlPlaneRole) {
    errors.push({ key: 'hetzner.autoscaler.validation.roles' });
  }
  if (max === 0) warnings.push({ key: 'hetzner.autoscaler.validation.maxZero' });
  const quantity = parseSize(input.pool?.quantity);

  if (quantity !== undefined && min !== undefined && max !== undefined && min <= max && (quantity < min || quantity > max)) {
    warnings.push({
      key:  'hetzner.autoscaler.validation.quantityOutside',
      args: {
        quantity, min, max
      }
    });
  }
  if (input.capacity?.mixed) {
    const c = input.capacity.capacity;

    warnings.push({
      key:  'hetzner.autoscaler.validation.mixedSizes',
      args: {
        types:  input.capacity.types.map((t) => `${ t.name } (${ t.cores } vCPU, ${ t.memory } GB, ${ t.disk } GB disk)`).join(', '),
        cpu:    c.cpu,
        memory: c.memory,
        disk:   c.ephemeralStorage,
      },
    });
  }

  return { errors, warnings };
}
