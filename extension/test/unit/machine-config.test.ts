import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { defineComponent, h, nextTick, reactive } from 'vue';
import LabeledSelect from '@shell/components/form/LabeledSelect.vue';
import { Checkbox } from '@components/Form/Checkbox';
import { LabeledInput } from '@components/Form/LabeledInput';
import { RadioGroup } from '@components/Form/Radio';
import MachineConfig from '../../pkg/hetzner-node-driver/machine-config/hetzner.vue';
import { FIELD_TYPES, type HetznerConfig } from '../../pkg/hetzner-node-driver/lib/config';
import { missing } from './i18n';
import { makeStore } from './store-helper';

const CRED = 'cattle-global-data:cc-test';

// CodeMirror does not run in jsdom; shell's CodeMirror component is replaced by a textarea with its contract
// (a `value` prop and an `onInput` event carrying the text).
const CodeMirrorStub = defineComponent({
  name:  'CodeMirror',
  props: { value: { type: String, default: '' } },
  emits: ['onInput'],
  setup(props, { emit }) {
    return () => h('textarea', {
      value:   props.value,
      onInput: (e: Event) => emit('onInput', (e.target as HTMLTextAreaElement).value),
    });
  },
});

async function mountForm(
  opts: { mode?: string; value?: HetznerConfig; fail?: Record<string, { status: number; body?: unknown }> } = {},
) {
  const { store, proxy } = makeStore(opts.fail ? { fail: opts.fail } : {});
  const value = reactive<HetznerConfig>(opts.value ?? { userData: '/var/lib/rancher/bootstrap-path' });
  const cluster = reactive({ metadata: { name: 'prod-eu' } });
  const wrapper = mount(MachineConfig, {
    props: {
      value, mode: opts.mode ?? 'create', credentialId: CRED, cluster, uuid: 'u1', poolIndex: 0
    },
    global: {
      plugins: [store], mocks: { $store: store }, stubs: { CodeMirror: CodeMirrorStub }
    },
  });

  // The host's fetch mixin runs the component's fetch() option; call it the same way.
  await (MachineConfig as unknown as { fetch(this: unknown): Promise<void> }).fetch.call(wrapper.vm);
  await flushPromises();

  return {
    wrapper, value, proxy, cluster
  };
}

function select(w: VueWrapper, label: string) {
  const found = w.findAllComponents(LabeledSelect).find((c) => c.props('label') === label);

  if (!found) throw new Error(`no select labelled ${ label }`);

  return found;
}

function values(options: { value: string; kind?: string }[]) {
  return options.filter((o) => o.kind !== 'group').map((o) => o.value);
}

async function choose(w: VueWrapper, label: string, v: unknown) {
  select(w, label).vm.$emit('update:value', v);
  await nextTick();
  await nextTick();
}

function checkbox(w: VueWrapper, label: string) {
  const found = w.findAllComponents(Checkbox).find((c) => c.props('label') === label);

  if (!found) throw new Error(`no checkbox labelled ${ label }`);

  return found;
}

function lastValidity(w: VueWrapper) {
  return w.emitted('validationChanged')!.at(-1)![0];
}

function bannerTexts(w: VueWrapper, testid: string) {
  return w.find(`[data-testid="${ testid }"]`).text();
}

describe('machine-config/hetzner.vue: loading and defaults', () => {
  it('loads every list through the proxy with the credential header, all pages, and emits valid', async() => {
    const { wrapper, value, proxy } = await mountForm();

    expect(value).toMatchObject({
      serverType: 'cx23', serverLocation: 'fsn1', image: 'ubuntu-24.04', networks: []
    });
    expect(proxy.calls.every((c) => c.headers['x-api-cattleauth-header']?.includes(`credID=${ CRED } `))).toBe(true);
    expect(proxy.calls.filter((c) => c.url.includes('/ssh_keys?'))).toHaveLength(3);
    // Every key of all three pages is offered, after the explicit "none".
    const keys = select(wrapper, 'Existing SSH Key').props('options') as { value: string }[];

    expect(keys).toHaveLength(121);
    expect(keys[0]).toEqual({ label: 'None (the driver creates a key for each machine)', value: '' });
    expect(lastValidity(wrapper)).toBe(true);
  });

  it('never picks a network, key, placement group or firewall by itself, and never touches userData', async() => {
    const { value } = await mountForm();

    expect(value.networks).toEqual([]);
    expect(value.firewalls).toEqual([]);
    expect(value.existingSshKey).toBeUndefined();
    expect(value.placementGroup).toBeUndefined();
    expect(value.userData).toBe('/var/lib/rancher/bootstrap-path');
  });

  it('groups locations by network zone', async() => {
    const { wrapper } = await mountForm();
    const opts = select(wrapper, 'Location').props('options') as { label: string; kind?: string }[];

    expect(opts.filter((o) => o.kind === 'group').map((o) => o.label)).toEqual([
      'Network zone ap-southeast',
      'Network zone eu-central',
      'Network zone us-east',
      'Network zone us-west',
    ]);
    expect(opts.map((o) => o.label)).toContain('fsn1 — Falkenstein, DE');
  });

  it('surfaces a list that failed to load in its own banner, never as the page\'s error event, and clears it on reload', async() => {
    const fail = { networks: { status: 429, body: { error: { code: 'rate_limit_exceeded', message: 'slow down' } } } };
    const { wrapper, proxy } = await mountForm({ fail });

    expect(wrapper.find('[data-testid="hetzner-load-error"]').text()).toBe(
      'Could not load the networks. The project reached its hourly API request limit; try again in a few minutes. slow down',
    );
    // The cluster page reads `error` as field names of an invalid pool and never clears it (issue 14.3).
    expect(wrapper.emitted('error')).toBeUndefined();
    const before = proxy.calls.length;

    delete (fail as Partial<typeof fail>).networks;
    await wrapper.find('[data-testid="hetzner-reload"]').trigger('click');
    await flushPromises();
    // A reload bypasses the cache for every list.
    expect(proxy.calls.length - before).toBeGreaterThanOrEqual(10);
    expect(wrapper.find('[data-testid="hetzner-load-error"]').exists()).toBe(false);
    expect(wrapper.emitted('error')).toBeUndefined();
  });
});

describe('machine-config/hetzner.vue: credential changes', () => {
  it('reloads every list with the newly chosen credential', async() => {
    const { wrapper, proxy } = await mountForm();
    const before = proxy.calls.length;

    await wrapper.setProps({ credentialId: 'cattle-global-data:cc-other' });
    await flushPromises();
    const after = proxy.calls.slice(before);

    expect(after.length).toBeGreaterThanOrEqual(10);
    expect(after.every((c) => c.headers['x-api-cattleauth-header']?.includes('credID=cattle-global-data:cc-other '))).toBe(true);
    expect(lastValidity(wrapper)).toBe(true);
  });
});

describe('machine-config/hetzner.vue: dependent choices', () => {
  it('offers only types sold and current in the location and clears a type the new location lacks', async() => {
    const { wrapper, value } = await mountForm();

    expect(values(select(wrapper, 'Server Type').props('options'))).toEqual(['cax11', 'cx23', 'cpx22', 'ccx13']);
    await choose(wrapper, 'Location', 'ash');
    expect(value.serverLocation).toBe('ash');
    expect(value.serverType).toBe('');
    expect(values(select(wrapper, 'Server Type').props('options'))).toEqual(['ccx13']);
    expect(wrapper.find('[data-testid="hetzner-server-type-error"]').text()).toBe('Choose a server type.');
    expect(lastValidity(wrapper)).toBe(false);
    await choose(wrapper, 'Server Type', 'ccx13');
    expect(value.serverType).toBe('ccx13');
    expect(lastValidity(wrapper)).toBe(true);
  });

  it('shows vCPU, RAM, disk, architecture and the location price in type labels', async() => {
    const { wrapper } = await mountForm();
    const labels = (select(wrapper, 'Server Type').props('options') as { label: string }[]).map((o) => o.label);

    expect(labels).toContain('ccx13 · x86 · 2 vCPU · 8 GB RAM · 80 GB disk · €14.86/month');
    expect(labels).toContain('Dedicated vCPU');
  });

  it('filters images by the type architecture, keeps a system image by name, clears a foreign snapshot', async() => {
    const { wrapper, value } = await mountForm();

    expect(values(select(wrapper, 'Image').props('options'))).toEqual([
      'debian-12',
      'rocky-9',
      'ubuntu-24.04',
      '4000000301',
    ]);
    await choose(wrapper, 'Server Type', 'cax11');
    expect(value.image).toBe('ubuntu-24.04');
    expect(values(select(wrapper, 'Image').props('options'))).toEqual(['debian-12', 'ubuntu-24.04', '4000000302']);
    await choose(wrapper, 'Image', '4000000302');
    await choose(wrapper, 'Server Type', 'cx23');
    expect(value.image).toBe('');
    expect(lastValidity(wrapper)).toBe(false);
  });

  it('offers networks of the location zone and drops unreachable ones when the location changes', async() => {
    const { wrapper, value } = await mountForm();
    const nets = select(wrapper, 'Private Networks');

    expect(nets.vm.$attrs.multiple).toBe(true);
    expect(nets.props('options')).toEqual([
      { label: 'k8s-eu', value: '4000000401' },
      { label: 'shared', value: '4000000403' },
    ]);
    await choose(wrapper, 'Private Networks', ['4000000401', '4000000403']);
    expect(value.networks).toEqual(['4000000401', '4000000403']);
    await choose(wrapper, 'Location', 'ash');
    expect(value.networks).toEqual(['4000000403']);
  });

  it('keeps choices it cannot check when their list failed to load (the pickers could not offer them again)', async() => {
    const refused = { status: 503 };
    const { wrapper, value } = await mountForm({
      value: { userData: '/bootstrap', networks: ['4000000401:10.0.1.5'] },
      fail:  { server_types: refused, networks: refused },
    });

    await choose(wrapper, 'Location', 'ash');
    expect(value.serverLocation).toBe('ash');
    expect(value.serverType).toBe('cx23');
    expect(value.networks).toEqual(['4000000401:10.0.1.5']);

    const images = await mountForm({ value: { userData: '/bootstrap', image: '4000000301' }, fail: { images: refused } });

    await choose(images.wrapper, 'Server Type', 'cax11');
    expect(images.value.serverType).toBe('cax11');
    expect(images.value.image).toBe('4000000301');
  });
});

describe('machine-config/hetzner.vue: networking and firewall rules, live', () => {
  it('toggles private network and public IPs with the design validations', async() => {
    const { wrapper, value } = await mountForm();

    await checkbox(wrapper, 'Disable public IPv4').find('label').trigger('click');
    await checkbox(wrapper, 'Disable public IPv6').find('label').trigger('click');
    expect(value).toMatchObject({ disablePublicIpv4: true, disablePublicIpv6: true });
    expect(bannerTexts(wrapper, 'hetzner-errors')).toContain(
      'With both public IPv4 and IPv6 disabled, nodes are reachable only over a private network',
    );
    expect(lastValidity(wrapper)).toBe(false);

    await checkbox(wrapper, 'Use the private network for cluster traffic').find('label').trigger('click');
    expect(value.usePrivateNetwork).toBe(true);
    expect(bannerTexts(wrapper, 'hetzner-errors')).toContain('Using the private network needs at least one network.');
    await choose(wrapper, 'Private Networks', ['4000000401']);
    expect(bannerTexts(wrapper, 'hetzner-errors')).toBe('');
    expect(lastValidity(wrapper)).toBe(true);

    // Public IPv6 back on: nodes keep IPv4 through the private network, so no IPv6-only warning…
    await checkbox(wrapper, 'Disable public IPv6').find('label').trigger('click');
    expect(bannerTexts(wrapper, 'hetzner-warnings')).toBe('');
    // …until the private network is no longer used for cluster traffic.
    await checkbox(wrapper, 'Use the private network for cluster traffic').find('label').trigger('click');
    expect(bannerTexts(wrapper, 'hetzner-warnings')).toContain('IPv6-only nodes');
    expect(lastValidity(wrapper)).toBe(true);
  });

  it('managed firewall: prefilled cluster ID that follows the cluster name until edited; auto rules need IPv4', async() => {
    const { wrapper, value, cluster } = await mountForm();

    wrapper.findComponent(RadioGroup).vm.$emit('update:value', 'managed');
    await nextTick();
    expect(value).toMatchObject({
      createFirewall: true, firewalls: [], clusterId: 'prod-eu'
    });
    cluster.metadata.name = 'prod-eu-2';
    await nextTick();
    expect(value.clusterId).toBe('prod-eu-2');

    const idInput = wrapper.findAllComponents(LabeledInput).find((c) => c.props('label') === 'Cluster ID')!;

    await idInput.find('input').setValue('');
    expect(bannerTexts(wrapper, 'hetzner-errors')).toContain('A firewall managed by the driver needs a cluster ID.');
    await idInput.find('input').setValue('shared-fw');
    cluster.metadata.name = 'other';
    await nextTick();
    expect(value.clusterId).toBe('shared-fw');

    const name = wrapper.findAllComponents(LabeledInput).find((c) => c.props('label') === 'Firewall Name')!;

    await name.find('input').setValue('k8s-fw');
    expect(value.firewallName).toBe('k8s-fw');

    await checkbox(wrapper, "Allow traffic between the cluster's nodes").find('label').trigger('click');
    expect(value.autoCreateFirewallRules).toBe(true);
    await checkbox(wrapper, 'Disable public IPv4').find('label').trigger('click');
    expect(bannerTexts(wrapper, 'hetzner-errors')).toContain('Automatic firewall rules need public IPv4 on the nodes.');
    expect(bannerTexts(wrapper, 'hetzner-warnings')).toContain(
      'Without public IPv4 the managed firewall protects only the public IPv6 interface.',
    );
  });

  it('existing firewalls: multi-select of IDs, exclusive with the managed firewall', async() => {
    const { wrapper, value } = await mountForm();

    wrapper.findComponent(RadioGroup).vm.$emit('update:value', 'existing');
    await nextTick();
    await choose(wrapper, 'Firewalls', ['4000000501', '4000000502']);
    expect(value).toMatchObject({ firewalls: ['4000000501', '4000000502'], createFirewall: false });
    wrapper.findComponent(RadioGroup).vm.$emit('update:value', 'none');
    await nextTick();
    expect(value).toMatchObject({
      firewalls: [], createFirewall: false, autoCreateFirewallRules: false
    });
    expect(wrapper.findAllComponents(LabeledSelect).some((c) => c.props('label') === 'Firewalls')).toBe(false);
  });
});

describe('machine-config/hetzner.vue: the remaining flags', () => {
  it('writes SSH key and placement group as ID strings', async() => {
    const { wrapper, value } = await mountForm();

    await choose(wrapper, 'Existing SSH Key', '4000001105');
    await choose(wrapper, 'Placement Group', '4000000601');
    expect(value.existingSshKey).toBe('4000001105');
    expect(value.placementGroup).toBe('4000000601');
  });

  it('edits server labels as key/value rows written as k=v strings, with Hetzner rules per row', async() => {
    const { wrapper, value } = await mountForm();

    await wrapper.find('[data-testid="hetzner-label-add"]').trigger('click');
    await wrapper.find('[data-testid="hetzner-label-add"]').trigger('click');
    const rows = wrapper.findAll('[data-testid="hetzner-label-row"]');

    expect(rows).toHaveLength(2);
    const [k1, v1] = rows[0]!.findAll('input');

    await k1!.setValue('env');
    await v1!.setValue('prod');
    const [k2] = rows[1]!.findAll('input');

    await k2!.setValue('hetzner.cloud/x');
    expect(value.serverLabels).toEqual(['env=prod', 'hetzner.cloud/x=']);
    expect(wrapper.findAll('[data-testid="hetzner-label-row"]')[1]!.text()).toContain(
      'Label 2: the hetzner.cloud/ prefix is reserved for Hetzner.',
    );
    expect(lastValidity(wrapper)).toBe(false);
    await wrapper.findAll('[data-testid="hetzner-label-row"]')[1]!.find('button').trigger('click');
    expect(value.serverLabels).toEqual(['env=prod']);
    expect(lastValidity(wrapper)).toBe(true);
  });

  it('takes additional cloud-config YAML and rejects YAML that is not a mapping', async() => {
    const { wrapper, value } = await mountForm();
    const yaml = wrapper.find('textarea[data-testid="hetzner-additional-user-data"]');

    await yaml.setValue('packages: [htop]\n');
    expect(bannerTexts(wrapper, 'hetzner-errors')).toContain('must start with a #cloud-config line');
    await yaml.setValue('#cloud-config\n- not\n- a mapping\n');
    expect(bannerTexts(wrapper, 'hetzner-errors')).toContain('must be a YAML mapping');
    await yaml.setValue('#cloud-config\npackages:\n  - htop\n');
    expect(value.additionalUserData).toBe('#cloud-config\npackages:\n  - htop\n');
    expect(value.userData).toBe('/var/lib/rancher/bootstrap-path');
    expect(lastValidity(wrapper)).toBe(true);
  });

  it('advanced: SSH user, SSH port as a string; no API endpoint (it belongs to the credential)', async() => {
    const { wrapper, value } = await mountForm({ value: { apiEndpoint: 'ftp://left-over' } });

    await wrapper.find('[data-testid="hetzner-advanced-toggle"]').trigger('click');
    const input = (label: string) => wrapper.findAllComponents(LabeledInput).find((c) => c.props('label') === label)!.find('input');

    await input('SSH Port').setValue('2222');
    await input('SSH User').setValue('admin');
    expect(value).toMatchObject({ sshPort: '2222', sshUser: 'admin' });
    expect(wrapper.find('[data-testid="hetzner-api-endpoint"]').exists()).toBe(false);
    expect(wrapper.text()).not.toContain('API Endpoint');
    // A value left in the pool's config is not the form's to judge: it never blocks the save.
    expect(lastValidity(wrapper)).toBe(true);
    await input('SSH Port').setValue('70000');
    expect(bannerTexts(wrapper, 'hetzner-errors')).toContain('The SSH port must be a number from 1 to 65535.');
  });

  it('writes every flag with the type of Rancher schema', async() => {
    const { wrapper, value } = await mountForm();

    wrapper.findComponent(RadioGroup).vm.$emit('update:value', 'managed');
    await choose(wrapper, 'Private Networks', ['4000000401']);
    await choose(wrapper, 'Existing SSH Key', '4000001000');
    await choose(wrapper, 'Placement Group', '4000000601');
    await wrapper.find('[data-testid="hetzner-label-add"]').trigger('click');
    await wrapper.findAll('[data-testid="hetzner-label-row"]')[0]!.find('input').setValue('a');
    await wrapper.find('textarea[data-testid="hetzner-additional-user-data"]').setValue('#cloud-config\na: 1\n');
    await wrapper.find('input[data-testid="hetzner-admin-cidrs"]').setValue('203.0.113.0/24, 2001:db8::/32');
    await choose(wrapper, 'Primary IPv4', '4000000701');
    await choose(wrapper, 'Primary IPv6', '4000000703');
    await choose(wrapper, 'Volumes', ['4000000801']);
    await wrapper.find('input[data-testid="hetzner-rdns-template"]').setValue('{{ machine }}.k8s.example.com');
    value.firewallName = 'fw';
    value.apiEndpoint = 'https://api.hetzner.cloud/v1';
    for (const [field, type] of Object.entries(FIELD_TYPES)) {
      const v = value[field];

      if (type === 'string[]') {
        expect(Array.isArray(v), field).toBe(true);
        expect((v as unknown[]).every((s) => typeof s === 'string'), field).toBe(true);
      } else {
        expect(typeof v, field).toBe(type);
      }
    }
    expect(wrapper.vm.test()).toBe(true);
  });

  it('test() returns the messages that block the save', async() => {
    const { wrapper, value } = await mountForm();

    value.createFirewall = true;
    value.firewalls = ['4000000501'];
    value.clusterId = 'x';
    await nextTick();
    expect(wrapper.vm.test()).toEqual({ errors: ['Choose either existing firewalls or a firewall managed by the driver, not both.'] });
  });
});

describe('machine-config/hetzner.vue: view mode', () => {
  it('shows names, not IDs, and renders no editable selects', async() => {
    const { wrapper } = await mountForm({
      mode:  'view',
      value: {
        serverLocation:     'nbg1',
        serverType:         'cax11',
        image:              '4000000302',
        networks:           ['4000000401'],
        firewalls:          ['4000000501', '4000000502'],
        existingSshKey:     '4000001007',
        placementGroup:     '4000000601',
        serverLabels:       ['env=prod'],
        sshUser:            'root',
        sshPort:            '22',
        additionalUserData: '#cloud-config\npackages:\n  - htop\n',
      },
    });
    const text = wrapper.find('[data-testid="hetzner-view"]').text();

    for (const s of ['nbg1 — Nuremberg, DE', 'cax11 · arm', 'Snapshot 4000000302 k8s-base-arm', 'k8s-eu', 'web, ssh-only', 'key-007', 'spread-a', 'env=prod', 'packages:\n  - htop']) {
      expect(text).toContain(s);
    }
    expect(text).not.toContain('4000000401');
    expect(text).not.toContain('4000001007');
    expect(wrapper.findAllComponents(LabeledSelect)).toHaveLength(0);
    expect([...missing]).toEqual([]);
  });
});
