// Shell's shared flat ESLint config, with the driver-named form files exempt from the multi-word rule
// (Rancher looks the forms up by driver name: machine-config/hetzner.vue, cloud-credential/hetzner.vue).
import shellConfig from '@rancher/shell/eslint.config.base.mjs';

export default [
  ...shellConfig,
  { ignores: ['dist/**', 'dist-pkg/**', '.harness-dist/**', '.host-dist/**', 'artifacts/**', 'pkg/*/.shell/**'] },
  {
    files: ['pkg/hetzner-node-driver/machine-config/*.vue', 'pkg/hetzner-node-driver/cloud-credential/*.vue'],
    rules: { 'vue/multi-word-component-names': 'off' },
  },
];
