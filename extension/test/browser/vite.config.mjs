// Builds the browser-test harness from the extension's own node_modules (one Vue copy, shell's raw source).
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const shell = here('../../node_modules/@rancher/shell');

export default {
  root: here('./harness'),
  base: './',
  logLevel: 'warn',
  plugins: [vue()],
  resolve: {
    alias: [
      { find: /^@shell\//, replacement: here('../../node_modules/@rancher/shell/') },
      { find: /^~shell\//, replacement: here('../../node_modules/@rancher/shell/') },
      { find: /^~@rancher\//, replacement: here('../../node_modules/@rancher/') },
      { find: /^~@shell\//, replacement: here('../../node_modules/@rancher/shell/') },
      { find: /^@components\//, replacement: here('../../node_modules/@rancher/shell/rancher-components/') },
      { find: /^@pkg\//, replacement: here('../../pkg/hetzner-node-driver/') },
    ],
    extensions: ['.mjs', '.js', '.ts', '.jsx', '.tsx', '.json', '.vue'],
  },
  css: {
    preprocessorOptions: {
      scss: {
        api: 'modern-compiler',
        quietDeps: true,
        // Shell's stylesheets trip many Sass deprecations; they are shell's to fix and would bury test output.
        logger:    { warn() {}, debug() {} },
        silenceDeprecations: ['import', 'global-builtin', 'color-functions', 'if-function', 'abs-percent'],
        // What shell's pkg/vue.config.js prepends to every stylesheet: its variables, functions and mixins.
        additionalData: `@use 'sass:math'; @import '${shell}/assets/styles/base/_variables.scss'; @import '${shell}/assets/styles/base/_functions.scss'; @import '${shell}/assets/styles/base/_mixins.scss';`,
      },
    },
  },
  define: { 'process.env': {} },
  build: {
    outDir: here('../../.harness-dist'),
    emptyOutDir: true,
    minify: false,
    sourcemap: false,
    chunkSizeWarningLimit: 5000,
  },
};
