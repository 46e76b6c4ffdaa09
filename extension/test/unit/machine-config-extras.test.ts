// The machine-config controls for the networking extras (issue 10) and for fallbacks, spread placement, existing
// primary IPs and volumes, the dual-stack signal and the pool's monthly cost (issue 9).
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { defineComponent, h, nextTick, reactive } from 'vue';
import LabeledSelect from '@shell/components/form/LabeledSelect.vue';
import { Checkbox } from '@components/Form/Checkbox';
import { RadioGroup } from '@components/Form/Radio';
import MachineConfig from '../../pkg/hetzner-node-driver/machine-config/hetzner.vue';
import type { HetznerConfig } from '../../pkg/hetzner-node-driver/lib/config';
import { missing } from './i18n';
import { makeStore } from './store-helper';

const CodeMirrorStub = defineComponent({
  name:  'CodeMirror',
  props: { value: { type: String, default: '' } },
  setup: (props) => () => h('textarea', { value: props.value }),
});

type Pools = { id?: string; pool: { name?: string; quantity?: number } }[];

async function mountForm(opts: { mode?: string; value?: HetznerConfig; machinePools?: Pools; poolIndex?: number; poolCreateMode?: boolean } = {}) {
  const { store, proxy } = makeStore();
  const value = reactive<HetznerConfig>(opts.value ?? { userData: '/bootstrap' });
  const machinePools = reactive(opts.machinePools ?? []);
  const wrapper = mount(MachineConfig, {
    props: {
      value,
      mode:           opts.mode ?? 'create',
      credentialId:   'cattle-global-data:cc-test',
      cluster:        { metadata: { name: 'prod-eu' } },
      poolIndex:      opts.poolIndex ?? 0,
      poolCreateMode: opts.poolCreateMode ?? true,
      machinePools,
    },
    global: {
      plugins: [store], mocks: { $store: store }, stubs: { CodeMirror: CodeMirrorStub }
    },
  });

  await (MachineConfig as unknown as { fetch(this: unknown): Promise<void> }).fetch.call(wrapper.vm);
  await flushPromises();

  return {
    wrapper, value, proxy, machinePools
  };
}

const select = (w: VueWrapper, label: string) => {
  const found = w.findAllComponents(LabeledSelect).find((c) => c.props('label') === label);

  if (!found) throw new Error(`no select labelled ${ label }`);

  return found;
};
const hasSelect = (w: VueWrapper, label: string) => w.findAllComponents(LabeledSelect).some((c) => c.props('label') === label);
const optionValues = (w: VueWrapper, label: string) => (select(w, label).props('options') as { value: string; kind?: string }[]).filter((o) => o.kind !== 'group').map((o) => o.value);
const optionLabels = (w: VueWrapper, label: string) => (select(w, label).props('options') as { label: string }[]).map((o) => o.label);

async function choose(w: VueWrapper, label: string, v: unknown) {
  select(w, label).vm.$emit('update:value', v);
  await nextTick();
  await nextTick();
}

async function click(w: VueWrapper, label: string) {
  const found = w.findAllComponents(Checkbox).find((c) => c.props('label') === label);

  if (!found) throw new Error(`no checkbox labelled ${ label }`);
  await found.find('label').trigger('click');
}

const text = (w: VueWrapper, testid: string) => w.find(`[data-testid="${ testid }"]`).text();
const valid = (w: VueWrapper) => w.emitted('validationChanged')!.at(-1)![0];

describe('fallback locations and server types', () => {
  it('keeps the primary pickers and writes the ordered, comma-joined lists', async() => {
    const { wrapper, value } = await mountForm();

    expect(optionValues(wrapper, 'Fallback Locations')).toEqual(['sin', 'hel1', 'nbg1', 'ash', 'hil']);
    await choose(wrapper, 'Fallback Locations', ['nbg1', 'hel1']);
    expect(value.serverLocation).toBe('fsn1,nbg1,hel1');
    expect(select(wrapper, 'Location').props('value')).toBe('fsn1');
    expect(text(wrapper, 'hetzner-location-order')).toBe('Tried in order: fsn1 → nbg1 → hel1');
    // Fallback types: x86 like cx23, sold in at least one chosen location, the primary excluded.
    expect(optionValues(wrapper, 'Fallback Server Types')).toEqual(['cpx11', 'ccx13', 'cpx22']);
    expect(optionLabels(wrapper, 'Fallback Server Types')[0]).toBe('cpx11 · 2 vCPU · 2 GB RAM · 40 GB disk · sold in nbg1');
    await choose(wrapper, 'Fallback Server Types', ['cpx22', 'cpx11']);
    expect(value.serverType).toBe('cx23,cpx22,cpx11');
    expect(select(wrapper, 'Server Type').props('value')).toBe('cx23');
    expect(valid(wrapper)).toBe(true);

    // A new primary location keeps the fallbacks; a fallback chosen as primary leaves the fallback list.
    await choose(wrapper, 'Location', 'nbg1');
    expect(value.serverLocation).toBe('nbg1,hel1');
    // Without fsn1 among the locations cpx22 is sold nowhere chosen, so it is dropped; cpx11 stays.
    expect(value.serverType).toBe('cx23,cpx11');
    // An arm primary type leaves no x86 fallback behind.
    await choose(wrapper, 'Server Type', 'cax11');
    expect(value.serverType).toBe('cax11');
    expect(optionValues(wrapper, 'Fallback Server Types')).toEqual([]);
  });

  it('still reads and keeps single values of existing configs', async() => {
    const { wrapper, value } = await mountForm({
      mode:  'edit',
      value: {
        serverLocation: 'nbg1', serverType: 'cpx11', image: 'ubuntu-24.04', sshPort: '22'
      }
    });

    expect(select(wrapper, 'Location').props('value')).toBe('nbg1');
    expect(select(wrapper, 'Fallback Locations').props('value')).toEqual([]);
    expect(value.serverLocation).toBe('nbg1');
    expect(value.serverType).toBe('cpx11');
    expect(valid(wrapper)).toBe(true);
  });
});

describe('saved configs are reported, not rewritten, on load', () => {
  it('keeps a saved fallback list that no longer fits and says why', async() => {
    const { wrapper, value } = await mountForm({
      mode:  'edit',
      value: {
        serverLocation: 'fsn1', serverType: 'cx23,cax11', image: 'ubuntu-24.04', sshPort: '22'
      }
    });

    expect(value.serverType).toBe('cx23,cax11');
    expect(text(wrapper, 'hetzner-errors')).toContain('Fallback server type cax11 is arm, but cx23 is x86');
    expect(valid(wrapper)).toBe(false);
  });

  it('an existing pool may hold its own primary IP and volume: a warning, and the names still show', async() => {
    const { wrapper } = await mountForm({
      mode:           'edit',
      poolCreateMode: false,
      value:          {
        serverLocation: 'fsn1', serverType: 'cx23', image: 'ubuntu-24.04', sshPort: '22', primaryIpv4: '4000000702', volumes: ['4000000802']
      },
    });

    expect(valid(wrapper)).toBe(true);
    expect(text(wrapper, 'hetzner-warnings')).toContain('Primary IP taken-v4 (198.51.100.11) is in use');
    expect(optionLabels(wrapper, 'Primary IPv4')).toContain('taken-v4 (198.51.100.11)');
    expect(optionLabels(wrapper, 'Volumes')).toEqual(['data-fsn (10 GB)', 'in-use (20 GB)']);
  });
});

describe('private networks: subnet or fixed IP', () => {
  it('offers the zone subnets and a fixed IP, and writes <id>:<range> / <id>:<ip> / <id>', async() => {
    const { wrapper, value } = await mountForm();

    await choose(wrapper, 'Private Networks', ['4000000401']);
    expect(value.networks).toEqual(['4000000401']);
    expect(select(wrapper, 'Address in k8s-eu').props('options')).toEqual([
      { label: 'Any subnet (assigned by Hetzner)', value: 'none' },
      { label: 'Subnet 10.0.1.0/24', value: 'range:10.0.1.0/24' },
      { label: 'Fixed IP…', value: 'ip' },
    ]);
    await choose(wrapper, 'Address in k8s-eu', 'range:10.0.1.0/24');
    expect(value.networks).toEqual(['4000000401:10.0.1.0/24']);

    await choose(wrapper, 'Address in k8s-eu', 'ip');
    expect(value.networks).toEqual(['4000000401:']);
    expect(text(wrapper, 'hetzner-errors')).toContain('Enter the fixed IP for network k8s-eu, or choose a subnet.');
    expect(valid(wrapper)).toBe(false);
    const ip = wrapper.find('input[data-testid="hetzner-network-ip-4000000401"]');

    await ip.setValue('10.9.0.1');
    expect(text(wrapper, 'hetzner-network-pin')).toContain('10.9.0.1 is outside network k8s-eu (10.0.0.0/16); pick an IP inside it.');
    expect(valid(wrapper)).toBe(false);
    await ip.setValue('10.0.1.10');
    expect(value.networks).toEqual(['4000000401:10.0.1.10']);
    expect(valid(wrapper)).toBe(true);

    // Adding a second network keeps the first one's fixed IP; "any subnet" writes the bare ID.
    await choose(wrapper, 'Private Networks', ['4000000401', '4000000403']);
    expect(value.networks).toEqual(['4000000401:10.0.1.10', '4000000403']);
    await choose(wrapper, 'Address in k8s-eu', 'none');
    expect(value.networks).toEqual(['4000000401', '4000000403']);
  });

  it('warns that a fixed IP fits a pool of one machine only', async() => {
    const { wrapper, machinePools } = await mountForm({
      value:        { networks: ['4000000401:10.0.1.10'] },
      machinePools: [{ pool: { name: 'cp', quantity: 1 } }],
    });

    expect(text(wrapper, 'hetzner-warnings')).toBe('');
    machinePools[0]!.pool.quantity = 2;
    await nextTick();
    expect(text(wrapper, 'hetzner-warnings')).toContain('A fixed IP in k8s-eu works for one machine only, but this pool has 2');
  });
});

describe('reverse DNS template', () => {
  it('previews the name for a sample machine of this pool and reports names a PTR record refuses', async() => {
    const { wrapper, value } = await mountForm({ machinePools: [{ pool: { name: 'workers', quantity: 2 } }] });
    const input = wrapper.find('input[data-testid="hetzner-rdns-template"]');

    await input.setValue('{{ machine }}');
    expect(text(wrapper, 'hetzner-rdns-error')).toBe(
      'The reverse DNS name cluster-workers-7f9c4b8d5-x2k4q is not fully qualified; add the domain, e.g. {{ machine }}.k8s.example.com.',
    );
    expect(valid(wrapper)).toBe(false);
    await input.setValue('{{ machine }}.{{ cluster }}.example.com');
    expect(value.rdnsTemplate).toBe('{{ machine }}.{{ cluster }}.example.com');
    // {{ cluster }} needs the cluster ID: the field appears, filled from the cluster's name.
    expect(value.clusterId).toBe('prod-eu');
    expect(wrapper.find('input[data-testid="hetzner-cluster-id"]').exists()).toBe(true);
    expect(text(wrapper, 'hetzner-rdns-preview')).toBe('Example: prod-eu-workers-7f9c4b8d5-x2k4q.prod-eu.example.com');
    expect(valid(wrapper)).toBe(true);
  });
});

describe('managed firewall extras', () => {
  it('admin CIDRs and closed NodePorts appear in the managed mode only and are written as string[] / boolean', async() => {
    const { wrapper, value } = await mountForm();

    expect(wrapper.find('input[data-testid="hetzner-admin-cidrs"]').exists()).toBe(false);
    wrapper.findComponent(RadioGroup).vm.$emit('update:value', 'managed');
    await nextTick();
    await click(wrapper, "Allow traffic between the cluster's nodes");
    const cidrs = wrapper.find('input[data-testid="hetzner-admin-cidrs"]');

    await cidrs.setValue('203.0.113.0/24, 2001:db8::/32 office');
    expect(value.firewallAdminCidrs).toEqual(['203.0.113.0/24', '2001:db8::/32', 'office']);
    expect(text(wrapper, 'hetzner-errors')).toContain('Admin source office is not an IPv4 or IPv6 address or CIDR');
    await cidrs.setValue('203.0.113.0/24, 2001:db8::/32');
    await click(wrapper, 'Keep NodePorts (30000–32767) closed to the public');
    expect(value).toMatchObject({ firewallAdminCidrs: ['203.0.113.0/24', '2001:db8::/32'], firewallCloseNodeports: true });
    expect(valid(wrapper)).toBe(true);

    wrapper.findComponent(RadioGroup).vm.$emit('update:value', 'none');
    await nextTick();
    expect(value).toMatchObject({ firewallAdminCidrs: [], firewallCloseNodeports: false });
  });
});

describe('spread placement', () => {
  it('writes the flag, fills the cluster ID and reports the conflict with a placement group', async() => {
    const { wrapper, value } = await mountForm();

    await click(wrapper, 'Spread the pool automatically');
    expect(value.placementGroupSpread).toBe(true);
    expect(value.clusterId).toBe('prod-eu');
    expect(valid(wrapper)).toBe(true);
    await choose(wrapper, 'Placement Group', '4000000601');
    expect(text(wrapper, 'hetzner-spread-error')).toBe('Choose either a placement group or automatic spread placement, not both.');
    expect(valid(wrapper)).toBe(false);
    expect(wrapper.vm.test()).toEqual({ errors: ['Choose either a placement group or automatic spread placement, not both.'] });
  });
});

describe('existing primary IPs and volumes', () => {
  it('offers unassigned addresses and detached volumes of the location and writes their IDs', async() => {
    const { wrapper, value } = await mountForm();

    expect(select(wrapper, 'Primary IPv4').props('options')).toEqual([
      { label: 'None (a new address for each server)', value: '' },
      { label: 'edge-v4 (198.51.100.10)', value: '4000000701' },
      { label: 'legacy-v4 (198.51.100.30)', value: '4000000705' },
    ]);
    expect(optionValues(wrapper, 'Primary IPv6')).toEqual(['', '4000000703']);
    expect(select(wrapper, 'Volumes').props('options')).toEqual([{ label: 'data-fsn (10 GB)', value: '4000000801' }]);
    await choose(wrapper, 'Primary IPv4', '4000000701');
    await choose(wrapper, 'Primary IPv6', '4000000703');
    await choose(wrapper, 'Volumes', ['4000000801']);
    expect(value).toMatchObject({
      primaryIpv4: '4000000701', primaryIpv6: '4000000703', volumes: ['4000000801']
    });
    expect(valid(wrapper)).toBe(true);

    // Turning public IPv6 off drops the IPv6 choice; another location drops what lives in fsn1.
    await click(wrapper, 'Disable public IPv6');
    expect(value.primaryIpv6).toBe('');
    await choose(wrapper, 'Location', 'nbg1');
    expect(value).toMatchObject({ primaryIpv4: '', volumes: [] });
    expect(optionValues(wrapper, 'Primary IPv4')).toEqual(['', '4000000704']);
    expect(optionValues(wrapper, 'Volumes')).toEqual(['4000000803']);
  });
});

describe('IP-family signal', () => {
  it('emits update:hasIpv6, update:isIpv6 and update:isDualStack on load and when the public IP switches change', async() => {
    const { wrapper } = await mountForm();
    const last = (e: string) => wrapper.emitted(e)!.at(-1)![0];

    expect((MachineConfig as unknown as { emits: string[] }).emits).toEqual(
      expect.arrayContaining(['update:hasIpv6', 'update:isIpv6', 'update:isDualStack']),
    );
    expect(last('update:isDualStack')).toBe(false);
    expect(last('update:isIpv6')).toBe(false);
    expect(last('update:hasIpv6')).toBe(false);
    await click(wrapper, 'Disable public IPv4');
    expect(last('update:isDualStack')).toBe(false);
    expect(last('update:isIpv6')).toBe(true);
    expect(last('update:hasIpv6')).toBe(true);
    await click(wrapper, 'Disable public IPv6');
    expect(last('update:isIpv6')).toBe(false);
    expect(last('update:hasIpv6')).toBe(false);
  });
});

describe('monthly cost', () => {
  it('multiplies the gross monthly price in the location by the pool quantity, and follows changes', async() => {
    const { wrapper, machinePools } = await mountForm({ machinePools: [{ pool: { name: 'a', quantity: 1 } }, { pool: { name: 'b', quantity: 3 } }], poolIndex: 1 });

    expect(text(wrapper, 'hetzner-cost')).toBe('3 × €4.51 = €13.53 / month (excl. traffic)');
    machinePools[1]!.pool.quantity = 5;
    await choose(wrapper, 'Server Type', 'ccx13');
    expect(text(wrapper, 'hetzner-cost')).toBe('5 × €14.86 = €74.30 / month (excl. traffic)');
  });

  it('shows the price of one machine when the host does not pass the quantity', async() => {
    const { wrapper } = await mountForm();

    expect(text(wrapper, 'hetzner-cost')).toBe('€4.51 per machine / month (excl. traffic)');
  });
});

describe('view mode', () => {
  it('shows names for fallbacks, pinned networks, primary IPs and volumes', async() => {
    const { wrapper } = await mountForm({
      mode:  'view',
      value: {
        serverLocation:       'fsn1,nbg1',
        serverType:           'cx23,cpx22',
        image:                'ubuntu-24.04',
        networks:             ['4000000401:10.0.1.10', '4000000403'],
        primaryIpv4:          '4000000701',
        volumes:              ['4000000801'],
        placementGroupSpread: true,
        rdnsTemplate:         '{{ machine }}.example.com',
      },
    });
    const view = text(wrapper, 'hetzner-view');

    for (const s of ['fsn1 — Falkenstein, DE', 'Fallback Locations', 'nbg1', 'cpx22', 'k8s-eu (10.0.1.10), shared', 'edge-v4 (198.51.100.10)', 'data-fsn', '{{ machine }}.example.com']) {
      expect(view).toContain(s);
    }
    expect(view).not.toContain('4000000701');
    expect(view).not.toContain('4000000801');
    expect(hasSelect(wrapper, 'Primary IPv4')).toBe(false);
    expect([...missing]).toEqual([]);
  });
});
