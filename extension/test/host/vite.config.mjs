// Builds the host side of the host test (page/host.ts) once, as an IIFE that takes Vue and Vuex from window.Vue /
// window.Vuex, so one build runs under every Rancher line's Vue. Shell's raw sources come from node_modules.
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const shell = here('../../node_modules/@rancher/shell');

export default {
  root:     here('./page'),
  logLevel: 'warn',
  resolve:  {
    alias: [
      { find: /^@shell\//, replacement: `${ shell }/` },
      { find: /^~shell\//, replacement: `${ shell }/` },
      { find: /^~@rancher\//, replacement: here('../../node_modules/@rancher/') },
      { find: /^~@shell\//, replacement: `${ shell }/` },
      { find: /^@components\//, replacement: `${ shell }/rancher-components/` },
    ],
    extensions: ['.mjs', '.js', '.ts', '.json', '.vue'],
  },
  css: {
    preprocessorOptions: {
      scss: {
        api:                 'modern-compiler',
        quietDeps:           true,
        logger:              { warn() {}, debug() {} },
        silenceDeprecations: ['import', 'global-builtin', 'color-functions', 'if-function', 'abs-percent'],
        additionalData:      `@use 'sass:math'; @import '${ shell }/assets/styles/base/_variables.scss'; @import '${ shell }/assets/styles/base/_functions.scss'; @import '${ shell }/assets/styles/base/_mixins.scss';`,
      },
    },
  },
  define: { 'process.env': {} },
  build:  {
    outDir:        here('../../.host-dist'),
    emptyOutDir:   true,
    minify:        true,
    sourcemap:     false,
    cssCodeSplit:  false,
    chunkSizeWarningLimit: 10000,
    lib:           {
      entry: here('./page/host.ts'), formats: ['iife'], name: 'RancherHostTest', fileName: () => 'host.js', cssFileName: 'host',
    },
    rollupOptions: { external: ['vue', 'vuex'], output: { globals: { vue: 'Vue', vuex: 'Vuex' } } },
  },
};
