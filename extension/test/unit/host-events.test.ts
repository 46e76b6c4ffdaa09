// What the cluster page of each Rancher line hears from the machine-pool form (issue 14): the IP-family flags under
// the names each line binds, with the meaning each line gives them, and no `error` event for a failed list load.
import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { defineComponent, h, nextTick, reactive } from 'vue';
import MachineConfig from '../../pkg/hetzner-node-driver/machine-config/hetzner.vue';
import type { HetznerConfig } from '../../pkg/hetzner-node-driver/lib/config';
import { makeStore } from './store-helper';
import PoolHost from './PoolHost.vue';

const CodeMirrorStub = defineComponent({
  name:  'CodeMirror',
  props: { value: { type: String, default: '' } },
  setup: (props) => () => h('textarea', { value: props.value }),
});

type Line = '2.12' | '2.13' | '2.14';
type Fail = Record<string, { status: number; body?: unknown }>;

async function mountHost(line: Line, opts: { config?: HetznerConfig; clusterCidr?: string; fail?: Fail } = {}) {
  const { store } = makeStore(opts.fail ? { fail: opts.fail } : {});
  const config = reactive<HetznerConfig>(opts.config ?? {});
  const machineGlobalConfig: Record<string, string> = opts.clusterCidr ? { 'cluster-cidr': opts.clusterCidr } : {};
  const cluster = reactive({ metadata: { name: 'prod-eu' }, spec: { rkeConfig: { machineGlobalConfig } } });
  const wrapper = mount(PoolHost, {
    props: {
      line, config, cluster, credentialId: 'cattle-global-data:cc-test'
    },
    global: {
      plugins: [store], mocks: { $store: store }, stubs: { CodeMirror: CodeMirrorStub }
    },
  });
  const form = wrapper.findComponent(MachineConfig);

  // The host's fetch mixin runs the component's fetch() option; call it the same way.
  await (MachineConfig as unknown as { fetch(this: unknown): Promise<void> }).fetch.call(form.vm);
  await flushPromises();
  const host = wrapper.vm as unknown as { pool: { hasIpv6: boolean; isIpv6: boolean; isDualStack: boolean }; errors: unknown[] };

  return {
    wrapper, form, config, cluster, host
  };
}

const settle = async() => {
  await nextTick();
  await nextTick();
};

describe('IP-family flags, as each Rancher line binds them (issue 14.4)', () => {
  it('2.14+: a default pool (public IPv4 and IPv6) in a default cluster is neither IPv6-only nor dual-stack', async() => {
    const { host } = await mountHost('2.14');

    // isDualStack=true here would send every default cluster into the IPv6 warning on save.
    expect(host.pool).toMatchObject({ isIpv6: false, isDualStack: false });
  });

  it('2.14+: isIpv6 for IPv6-only nodes, isDualStack once the cluster CIDR is dual-stack', async() => {
    const { host, config, cluster } = await mountHost('2.14', { config: { disablePublicIpv4: true } });

    expect(host.pool).toMatchObject({ isIpv6: true, isDualStack: false });
    // A private network carries the cluster's traffic over IPv4.
    config.usePrivateNetwork = true;
    config.networks = ['4000000401'];
    await settle();
    expect(host.pool).toMatchObject({ isIpv6: false, isDualStack: false });
    config.usePrivateNetwork = false;
    config.networks = [];
    config.disablePublicIpv4 = false;
    cluster.spec.rkeConfig.machineGlobalConfig['cluster-cidr'] = '10.42.0.0/16,fd00:42::/56';
    await settle();
    expect(host.pool).toMatchObject({ isIpv6: false, isDualStack: true });
    // Without public IPv6 the nodes cannot take part in the cluster's IPv6 half.
    config.disablePublicIpv6 = true;
    await settle();
    expect(host.pool).toMatchObject({ isIpv6: false, isDualStack: false });
  });

  it('2.13: hasIpv6 when the cluster uses IPv6 on the pool (IPv6-only nodes or a dual-stack cluster), not for a default pool', async() => {
    const { host, config, cluster } = await mountHost('2.13');

    expect(host.pool.hasIpv6).toBe(false);
    config.disablePublicIpv4 = true;
    await settle();
    expect(host.pool.hasIpv6).toBe(true);
    config.disablePublicIpv4 = false;
    await settle();
    expect(host.pool.hasIpv6).toBe(false);
    cluster.spec.rkeConfig.machineGlobalConfig['cluster-cidr'] = '10.42.0.0/16,fd00:42::/56';
    await settle();
    expect(host.pool.hasIpv6).toBe(true);
  });
});

describe('load failures and the page\'s error event (issue 14.3)', () => {
  const fail = (): Fail => ({ firewalls: { status: 503 } });

  for (const line of ['2.12', '2.13', '2.14'] as const) {
    it(`${ line }: a failed list is shown in the form and never handed to the page's error handler`, async() => {
      const { form, host } = await mountHost(line, { fail: fail() });

      expect(form.find('[data-testid="hetzner-load-error"]').text()).toContain('Could not load the firewalls.');
      expect(host.errors).toEqual([]);
    });
  }
});
