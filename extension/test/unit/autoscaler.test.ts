// The pool's settings for the cluster autoscaler (issue 18): what lib/autoscaler.ts computes from a server type,
// and what the form writes onto the machine pool for every server type it offers.
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { defineComponent, h, nextTick, reactive } from 'vue';
import LabeledSelect from '@shell/components/form/LabeledSelect.vue';
import { Checkbox } from '@components/Form/Checkbox';
import { LabeledInput } from '@components/Form/LabeledInput';
import MachineConfig from '../../pkg/hetzner-node-driver/machine-config/hetzner.vue';
import {
  AUTOSCALER_ANNOTATIONS as A, type AutoscalerPool, applyAutoscaling, autoscalerIssues, autoscalingOf, clearAutoscaling, gbQuantity, poolCapacity, typeCapacity
} from '../../pkg/hetzner-node-driver/lib/autoscaler';
import { typeAvailability } from '../../pkg/hetzner-node-driver/lib/catalog';
import type { HetznerConfig } from '../../pkg/hetzner-node-driver/lib/config';
import type { ServerType } from '../../pkg/hetzner-node-driver/lib/hcloud';
import { serverTypes } from '../fixtures/catalog';
import { makeStore } from './store-helper';

// Sizes as the Hetzner API lists them (cores, memory GB, disk GB), and what the autoscaler must be told.
const REAL_TYPES: [string, number, number, number, { cpu: string; memory: string; ephemeralStorage: string }][] = [
  ['cx23', 2, 4, 40, {
    cpu: '2', memory: '4G', ephemeralStorage: '40G'
  }],
  ['cx33', 4, 8, 80, {
    cpu: '4', memory: '8G', ephemeralStorage: '80G'
  }],
  ['cx43', 8, 16, 160, {
    cpu: '8', memory: '16G', ephemeralStorage: '160G'
  }],
  ['cx53', 16, 32, 320, {
    cpu: '16', memory: '32G', ephemeralStorage: '320G'
  }],
  ['cpx22', 2, 4, 80, {
    cpu: '2', memory: '4G', ephemeralStorage: '80G'
  }],
  ['cax11', 2, 4, 40, {
    cpu: '2', memory: '4G', ephemeralStorage: '40G'
  }],
  ['ccx13', 2, 8, 80, {
    cpu: '2', memory: '8G', ephemeralStorage: '80G'
  }],
  ['ccx63', 48, 192, 960, {
    cpu: '48', memory: '192G', ephemeralStorage: '960G'
  }],
  ['cx11 (legacy, half a GB)', 1, 0.5, 20, {
    cpu: '1', memory: '500M', ephemeralStorage: '20G'
  }],
];

const st = (name: string, cores: number, memory: number, disk: number): ServerType => ({
  id: 1, name, description: name, cores, memory, disk, cpu_type: 'shared', architecture: 'x86', prices: []
});

describe('lib/autoscaler', () => {
  it.each(REAL_TYPES)('gives the capacity of %s as Kubernetes quantities', (name, cores, memory, disk, want) => {
    expect(typeCapacity({
      cores, memory, disk
    })).toEqual(want);
  });

  it('writes GB in decimal units, fractions in megabytes', () => {
    expect([gbQuantity(4), gbQuantity(0.5), gbQuantity(1.5), gbQuantity(240)]).toEqual(['4G', '500M', '1500M', '240G']);
  });

  it('takes the smallest cores, memory and disk over a fallback list of mixed sizes, and says it is mixed', () => {
    const types = [st('ccx13', 2, 8, 80), st('cpx32', 4, 8, 160), st('cx33', 4, 8, 80), st('cx23', 2, 4, 40)];

    expect(poolCapacity(types, ['cpx32', 'ccx13'])).toMatchObject({
      capacity: {
        cpu: '2', memory: '8G', ephemeralStorage: '80G'
      },
      mixed: true
    });
    expect(poolCapacity(types, ['cx33', 'cx23'])).toMatchObject({
      capacity: {
        cpu: '2', memory: '4G', ephemeralStorage: '40G'
      },
      mixed: true
    });
    expect(poolCapacity(types, ['cx33'])).toMatchObject({
      capacity: {
        cpu: '4', memory: '8G', ephemeralStorage: '80G'
      },
      mixed: false
    });
    expect(poolCapacity([...types, st('cx33-twin', 4, 8, 80)], ['cx33', 'cx33-twin'])?.mixed).toBe(false);
    expect(poolCapacity(types, ['cx33', 'nope'])).toBeUndefined();
    expect(poolCapacity(types, [])).toBeUndefined();
  });

  it('writes min, max and capacity, keeps other annotations and replaces the object', () => {
    const others = { 'example.com/keep': 'yes', [A.minSize]: '9' };
    const pool: AutoscalerPool = { machineDeploymentAnnotations: others };

    expect(applyAutoscaling(pool, {
      min:      0,
      max:      5,
      capacity: {
        cpu: '2', memory: '4G', ephemeralStorage: '40G'
      },
      rancherFields: false
    })).toBe(true);
    expect(pool.machineDeploymentAnnotations).not.toBe(others);
    expect(pool.machineDeploymentAnnotations).toEqual({
      'example.com/keep':   'yes',
      [A.minSize]:          '0',
      [A.maxSize]:          '5',
      [A.cpu]:              '2',
      [A.memory]:           '4G',
      [A.ephemeralStorage]: '40G',
      [A.capiCpu]:          '2',
      [A.capiMemory]:       '4G',
      [A.capiDisk]:         '40G',
    });
    expect('autoscalingMinSize' in pool).toBe(false);
    // Unchanged settings change nothing; without a capacity the resource annotations stay as they are.
    expect(applyAutoscaling(pool, {
      min: 0, max: 5, rancherFields: false
    })).toBe(false);
    expect(applyAutoscaling(pool, {
      min: 1, max: 5, rancherFields: true
    })).toBe(true);
    expect(pool).toMatchObject({ autoscalingMinSize: 1, autoscalingMaxSize: 5 });
    expect(pool.machineDeploymentAnnotations![A.memory]).toBe('4G');
  });

  it('reads Rancher’s own fields before the annotations, and clears both but nobody else’s', () => {
    const pool: AutoscalerPool = {
      autoscalingMinSize:           2,
      autoscalingMaxSize:           7,
      machineDeploymentAnnotations: {
        [A.minSize]: '1', [A.maxSize]: '3', other: 'x'
      }
    };

    expect(autoscalingOf(pool)).toEqual({
      enabled: true, min: 2, max: 7
    });
    expect(autoscalingOf({ machineDeploymentAnnotations: { [A.minSize]: '1', [A.maxSize]: '3' } })).toEqual({
      enabled: true, min: 1, max: 3
    });
    expect(autoscalingOf({ machineDeploymentAnnotations: { [A.minSize]: '1' } })).toEqual({ enabled: false });
    expect(autoscalingOf(undefined)).toEqual({ enabled: false });
    clearAutoscaling(pool);
    expect(pool).toEqual({ machineDeploymentAnnotations: { other: 'x' } });
  });

  it('refuses sizes the autoscaler cannot parse, min above max and etcd/control-plane pools', () => {
    const keys = (min: unknown, max: unknown, pool: AutoscalerPool = {}) => autoscalerIssues({
      min, max, pool
    }).errors.map((e) => e.key.split('.').pop());

    expect(keys('0', '3')).toEqual([]);
    expect(keys('', '3')).toEqual(['min']);
    expect(keys('1.5', '-1')).toEqual(['min', 'max']);
    expect(keys('4', '3')).toEqual(['minAboveMax']);
    expect(keys('1', '3', { etcdRole: true })).toEqual(['roles']);
    expect(keys('1', '3', { controlPlaneRole: true })).toEqual(['roles']);
  });

  it('warns about a count outside the range, a max of 0 and mixed sizes', () => {
    const warned = (pool: AutoscalerPool, min: string, max: string, types?: string[]) => autoscalerIssues({
      min, max, pool, capacity: types ? poolCapacity([st('cx23', 2, 4, 40), st('cx33', 4, 8, 80)], types) : undefined
    }).warnings;

    expect(warned({ quantity: 5 }, '1', '3')).toEqual([{
      key:  'hetzner.autoscaler.validation.quantityOutside',
      args: {
        quantity: 5, min: 1, max: 3
      }
    }]);
    expect(warned({ quantity: 2 }, '1', '3', ['cx23'])).toEqual([]);
    expect(warned({ quantity: 0 }, '0', '0').map((w) => w.key)).toEqual(['hetzner.autoscaler.validation.maxZero']);
    expect(warned({}, '0', '3', ['cx33', 'cx23'])).toEqual([{
      key:  'hetzner.autoscaler.validation.mixedSizes',
      args: {
        types: 'cx33 (4 vCPU, 8 GB, 80 GB disk), cx23 (2 vCPU, 4 GB, 40 GB disk)', cpu: '2', memory: '4G', disk: '40G'
      },
    }]);
  });
});

// ---- the form ----------------------------------------------------------------------------------------------------

const CodeMirrorStub = defineComponent({
  name:  'CodeMirror',
  props: { value: { type: String, default: '' } },
  setup: (props) => () => h('textarea', { value: props.value }),
});

type Entry = { id?: string; pool: AutoscalerPool };

async function mountForm(opts: { pool?: AutoscalerPool; value?: HetznerConfig; mode?: string; rancherFeature?: boolean | 'unknown' } = {}) {
  const { store } = makeStore();
  const value = reactive<HetznerConfig>(opts.value ?? { userData: '/bootstrap' });
  const machinePools = reactive<Entry[]>([{ id: 'p0', pool: opts.pool ?? { name: 'workers', quantity: 2 } }]);
  // The Dashboard's feature store: 2.13+ knows cluster-autoscaling, older lines throw for a name they do not know.
  const features = (name: string) => {
    if (opts.rancherFeature === 'unknown') throw new Error(`Unknown feature: ${ name }`);

    return name === 'cluster-autoscaling' && opts.rancherFeature === true;
  };
  const $store = new Proxy(store, {
    get(target, prop) {
      if (prop === 'getters') return { ...target.getters, 'features/get': features };

      return Reflect.get(target, prop);
    },
  });
  const wrapper = mount(MachineConfig, {
    props: {
      value,
      mode:         opts.mode ?? 'create',
      credentialId: 'cattle-global-data:cc-test',
      cluster:      { metadata: { name: 'prod-eu' } },
      poolIndex:    0,
      poolId:       'p0',
      machinePools,
    },
    global: {
      plugins: [store], mocks: { $store }, stubs: { CodeMirror: CodeMirrorStub }
    },
  });

  await (MachineConfig as unknown as { fetch(this: unknown): Promise<void> }).fetch.call(wrapper.vm);
  await flushPromises();

  return {
    wrapper, value, pool: machinePools[0]!.pool
  };
}

const select = (w: VueWrapper, label: string) => w.findAllComponents(LabeledSelect).find((c) => c.props('label') === label)!;
const input = (w: VueWrapper, label: string) => w.findAllComponents(LabeledInput).find((c) => c.props('label') === label)!;

async function settle() {
  await nextTick();
  await nextTick();
  await flushPromises();
}

async function choose(w: VueWrapper, label: string, v: unknown) {
  select(w, label).vm.$emit('update:value', v);
  await settle();
}

async function type(w: VueWrapper, label: string, v: string) {
  input(w, label).vm.$emit('update:value', v);
  await settle();
}

async function enable(w: VueWrapper) {
  const box = w.findAllComponents(Checkbox).find((c) => c.props('label') === 'Let the cluster autoscaler size this pool');

  if (!box) throw new Error('no autoscaler checkbox');
  await box.find('label').trigger('click');
  await settle();
}

const valid = (w: VueWrapper) => w.emitted('validationChanged')!.at(-1)![0];
const banners = (w: VueWrapper, testid: string) => w.find(`[data-testid="${ testid }"]`).text();
const soldInFsn1 = serverTypes.filter((t) => typeAvailability(t, 'fsn1') === 'available');

describe('the pool form writes what the cluster autoscaler reads', () => {
  it('offers types in fsn1 to test (the per-type cases below are not empty)', () => {
    expect(soldInFsn1.map((t) => t.name)).toEqual(['cx23', 'cax11', 'cpx22', 'ccx13']);
  });

  it.each(soldInFsn1.map((t) => [t.name, t] as const))('annotates the pool with the capacity of %s', async(name, t) => {
    const { wrapper, pool } = await mountForm();

    await choose(wrapper, 'Server Type', name);
    await enable(wrapper);
    await type(wrapper, 'Minimum Nodes', '0');
    await type(wrapper, 'Maximum Nodes', '6');

    expect(pool.machineDeploymentAnnotations).toEqual({
      [A.minSize]:          '0',
      [A.maxSize]:          '6',
      [A.cpu]:              String(t.cores),
      [A.memory]:           `${ t.memory }G`,
      [A.ephemeralStorage]: `${ t.disk }G`,
      // Rancher's own autoscaler (the Cluster API provider) reads the same capacity under its own keys.
      [A.capiCpu]:          String(t.cores),
      [A.capiMemory]:       `${ t.memory }G`,
      [A.capiDisk]:         `${ t.disk }G`,
    });
    expect(wrapper.find('[data-testid="hetzner-autoscaler-capacity"]').text()).toBe(
      `Each node, for scaling up from zero: ${ t.cores } CPU, ${ t.memory }G memory, ${ t.disk }G ephemeral storage`,
    );
    expect(valid(wrapper)).toBe(true);
    // Rancher's own fields only where Rancher runs its autoscaler.
    expect('autoscalingMinSize' in pool).toBe(false);
  });

  it('follows a change of server type, and takes the smallest over a fallback list with a warning', async() => {
    const { wrapper, pool } = await mountForm();

    await choose(wrapper, 'Server Type', 'ccx13');
    await enable(wrapper);
    expect(pool.machineDeploymentAnnotations).toMatchObject({
      [A.minSize]: '1', [A.maxSize]: '3', [A.cpu]: '2', [A.memory]: '8G', [A.ephemeralStorage]: '80G'
    });
    await choose(wrapper, 'Fallback Server Types', ['cpx22']);
    expect(pool.machineDeploymentAnnotations).toMatchObject({
      [A.cpu]: '2', [A.memory]: '4G', [A.ephemeralStorage]: '80G'
    });
    expect(banners(wrapper, 'hetzner-warnings')).toContain('The server types of this pool differ in size: ccx13 (2 vCPU, 8 GB, 80 GB disk), cpx22 (3 vCPU, 4 GB, 80 GB disk)');
    expect(banners(wrapper, 'hetzner-warnings')).toContain('told the smallest of each: 2 CPU, 4G memory, 80G ephemeral storage');
    // A warning, not an error: the pool can still be saved.
    expect(valid(wrapper)).toBe(true);
    await choose(wrapper, 'Server Type', 'cx23');
    await choose(wrapper, 'Fallback Server Types', []);
    expect(pool.machineDeploymentAnnotations).toMatchObject({
      [A.cpu]: '2', [A.memory]: '4G', [A.ephemeralStorage]: '40G'
    });
    expect(banners(wrapper, 'hetzner-warnings')).not.toContain('differ in size');
  });

  it('writes Rancher’s autoscalingMinSize/MaxSize too when Rancher’s cluster-autoscaling feature is on', async() => {
    const { wrapper, pool } = await mountForm({ rancherFeature: true });

    await choose(wrapper, 'Server Type', 'cx23');
    await enable(wrapper);
    await type(wrapper, 'Maximum Nodes', '4');
    expect(pool).toMatchObject({ autoscalingMinSize: 1, autoscalingMaxSize: 4 });
    expect(pool.machineDeploymentAnnotations).toMatchObject({
      [A.minSize]: '1', [A.maxSize]: '4', [A.memory]: '4G'
    });
    // The Dashboard's own min field (2.13+) edits the same pool: the annotations follow.
    pool.autoscalingMinSize = 2;
    await settle();
    expect(input(wrapper, 'Minimum Nodes').props('value')).toBe('2');
    expect(pool.machineDeploymentAnnotations![A.minSize]).toBe('2');
  });

  it('turns off with the Dashboard’s own autoscaling (2.13+), e.g. when the pool gets the etcd role', async() => {
    const { wrapper, pool } = await mountForm({ rancherFeature: true });

    await choose(wrapper, 'Server Type', 'cx23');
    await enable(wrapper);
    expect(pool.autoscalingMinSize).toBe(1);
    // What MachinePool.vue does when etcdRole turns on: isAutoscalerEnabled = false deletes both fields.
    pool.etcdRole = true;
    delete pool.autoscalingMinSize;
    delete pool.autoscalingMaxSize;
    await settle();
    expect(pool.machineDeploymentAnnotations).toEqual({});
    expect(wrapper.find('[data-testid="hetzner-autoscaler-min"]').exists()).toBe(false);
    expect(valid(wrapper)).toBe(true);
  });

  it('leaves Rancher’s fields alone on lines without the feature (the feature store throws there)', async() => {
    const { wrapper, pool } = await mountForm({ rancherFeature: 'unknown' });

    await choose(wrapper, 'Server Type', 'cx23');
    await enable(wrapper);
    expect(pool.machineDeploymentAnnotations![A.minSize]).toBe('1');
    expect('autoscalingMinSize' in pool).toBe(false);
  });

  it('writes no size the autoscaler cannot parse, and blocks saving until it is fixed', async() => {
    const { wrapper, pool } = await mountForm();

    await choose(wrapper, 'Server Type', 'cx23');
    await enable(wrapper);
    await type(wrapper, 'Minimum Nodes', '2.5');
    expect(pool.machineDeploymentAnnotations![A.minSize]).toBe('1');
    expect(valid(wrapper)).toBe(false);
    expect(banners(wrapper, 'hetzner-errors')).toContain('The autoscaler\'s minimum size must be a whole number from 0.');
    expect((wrapper.vm as unknown as { test(): unknown }).test()).toEqual({ errors: ['The autoscaler\'s minimum size must be a whole number from 0.'] });
    await type(wrapper, 'Minimum Nodes', '5');
    expect(banners(wrapper, 'hetzner-errors')).toContain('The autoscaler\'s minimum size (5) is above its maximum (3).');
    expect(pool.machineDeploymentAnnotations![A.minSize]).toBe('1');
    await type(wrapper, 'Minimum Nodes', '3');
    expect(pool.machineDeploymentAnnotations![A.minSize]).toBe('3');
    expect(valid(wrapper)).toBe(true);
  });

  it('refuses autoscaling on an etcd or control-plane pool', async() => {
    const { wrapper, pool } = await mountForm({
      pool: {
        name: 'cp', quantity: 3, controlPlaneRole: true
      },
      rancherFeature: true
    });

    await choose(wrapper, 'Server Type', 'cx23');
    await enable(wrapper);
    expect(valid(wrapper)).toBe(false);
    expect(banners(wrapper, 'hetzner-errors')).toContain('The cluster autoscaler is for worker pools');
    expect('autoscalingMinSize' in pool).toBe(false);
  });

  it('turning it off removes its annotations and Rancher’s fields, and keeps everyone else’s', async() => {
    const pool: AutoscalerPool = {
      name:                         'workers',
      quantity:                     2,
      autoscalingMinSize:           1,
      autoscalingMaxSize:           5,
      machineDeploymentAnnotations: {
        [A.minSize]: '1', [A.maxSize]: '5', 'example.com/x': 'y'
      }
    };
    const { wrapper } = await mountForm({
      pool, rancherFeature: true, value: { serverType: 'cx23', serverLocation: 'fsn1' } as HetznerConfig
    });

    expect(input(wrapper, 'Maximum Nodes').props('value')).toBe('5');
    // Opening an existing pool adds the capacity of its type.
    expect(pool.machineDeploymentAnnotations![A.cpu]).toBe('2');
    await enable(wrapper);
    expect(pool).toEqual({
      name: 'workers', quantity: 2, machineDeploymentAnnotations: { 'example.com/x': 'y' }
    });
    expect(wrapper.find('[data-testid="hetzner-autoscaler-min"]').exists()).toBe(false);
  });

  it('changes nothing in view mode and shows the range', async() => {
    const pool: AutoscalerPool = { name: 'workers', machineDeploymentAnnotations: { [A.minSize]: '0', [A.maxSize]: '4' } };
    const { wrapper } = await mountForm({
      pool, mode: 'view', value: { serverType: 'cx23', serverLocation: 'fsn1' } as HetznerConfig
    });

    expect(pool.machineDeploymentAnnotations).toEqual({ [A.minSize]: '0', [A.maxSize]: '4' });
    expect(wrapper.find('[data-testid="hetzner-view"]').text()).toContain('0 to 4 nodes');
  });
});
