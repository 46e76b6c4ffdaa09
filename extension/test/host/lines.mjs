// The Rancher lines the host test knows, read from rancher/dashboard at each line's newest tag (root package.json
// and yarn.lock for Vue/Vuex, shell/edit/provisioning.cattle.io.cluster/tabs/MachinePool.vue for what the machine
// pool passes to and listens for on a machine-config component). The runner tests every line the extension's
// `catalog.cattle.io/rancher-version` annotation admits, each with that line's Vue and Vuex (npm aliases in
// extension/package.json: vue-<x-y-z>, vuex-<x-y-z>). `autoscaling`: the line's machine pool has Rancher's own
// autoscalingMinSize / autoscalingMaxSize (MachinePool.vue and rancher/rancher's RKEMachinePool from 2.13), shown
// when the `cluster-autoscaling` feature is on (shell/store/features.js, which throws for names a line does not know).
// For the cluster-create page (shell/edit/provisioning.cattle.io.cluster/rke2.vue and shell/core/plugin.ts at the same
// tags): `provisioner` is the context rke2.vue's extensionProvider constructs the provider's provisioner with (the
// extension registry under $plugin or $extension, the translator as $t or t) and the priority of its own
// save-machine-pools before-hook; every line renders TabLocation.CLUSTER_CREATE_RKE2 tabs with `:resource="value"` only.

const PROVISIONER_2_10 = { registry: '$plugin', t: '$t', savePoolsPriority: 1 };
const PROVISIONER_2_14 = { registry: '$extension', t: '$t', savePoolsPriority: 2 };
const PROVISIONER_2_15 = { registry: '$extension', t: 't', savePoolsPriority: 2 };

/** Props every line's MachinePool.vue passes (besides `value`, `mode` and the per-line extras below). */
const BASE_POOL_PROPS = ['cluster', 'uuid', 'provider', 'credentialId', 'poolIndex', 'poolId', 'poolCreateMode', 'machinePools', 'busy'];

export const LINES = [
  {
    // v2.10.12: shell 3.0.0; MachinePool passes no project-id and no IP-family v-model.
    line: '2.10', tag: 'v2.10.12', version: '2.10.12', vue: '3.2.47', vuex: '4.0.2',
    poolProps: BASE_POOL_PROPS, ipFamily: 'none', provisioner: PROVISIONER_2_10, autoscaling: false,
  },
  {
    line: '2.11', tag: 'v2.11.16', version: '2.11.16', vue: '3.5.13', vuex: '4.1.0',
    poolProps: BASE_POOL_PROPS, ipFamily: 'none', provisioner: PROVISIONER_2_10, autoscaling: false,
  },
  {
    // project-id from 2.12.
    line: '2.12', tag: 'v2.12.12', version: '2.12.12', vue: '3.5.13', vuex: '4.1.0',
    poolProps: [...BASE_POOL_PROPS, 'projectId'], ipFamily: 'none', provisioner: PROVISIONER_2_10, autoscaling: false,
  },
  {
    // v-model:has-ipv6="value.hasIpv6": any pool with hasIpv6 switches a new cluster's stack preference to dual.
    line: '2.13', tag: 'v2.13.8', version: '2.13.8', vue: '3.5.18', vuex: '4.1.0',
    poolProps: [...BASE_POOL_PROPS, 'projectId'], ipFamily: 'hasIpv6', provisioner: PROVISIONER_2_10, autoscaling: true,
  },
  {
    // v-model:is-ipv6 / v-model:is-dualStack: rke2.vue's save-time IPv6 warning uses them (hasOnlyIpv6Pools,
    // hasDualStackPools).
    line: '2.14', tag: 'v2.14.4', version: '2.14.4', vue: '3.5.18', vuex: '4.1.0',
    poolProps: [...BASE_POOL_PROPS, 'projectId'], ipFamily: 'isIpv6/isDualStack', provisioner: PROVISIONER_2_14, autoscaling: true,
  },
  {
    // infrastructure-cluster from 2.15.
    line: '2.15', tag: 'v2.15.0', version: '2.15.0', vue: '3.5.29', vuex: '4.1.0',
    poolProps: [...BASE_POOL_PROPS, 'projectId', 'infrastructureCluster'], ipFamily: 'isIpv6/isDualStack', provisioner: PROVISIONER_2_15, autoscaling: true,
  },
];

/** npm alias directories (extension/node_modules/<dir>) holding a line's Vue and Vuex. */
export const vueDir = (l) => `vue-${ l.vue.replace(/\./g, '-') }`;
export const vuexDir = (l) => `vuex-${ l.vuex.replace(/\./g, '-') }`;
