import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Shell ships raw .vue/.ts source and resolves its own folders through webpack aliases; mirror those here.
export const shellAliases = [
  { find: /^@shell\//, replacement: here('./node_modules/@rancher/shell/') },
  { find: /^~shell\//, replacement: here('./node_modules/@rancher/shell/') },
  { find: /^@components\//, replacement: here('./node_modules/@rancher/shell/rancher-components/') },
  { find: /^@pkg\//, replacement: here('./pkg/hetzner-node-driver/') },
];

export default defineConfig({
  plugins: [vue()],
  resolve: {
    alias:      shellAliases,
    // Shell imports components without extensions (e.g. '@shell/components/Loading').
    extensions: ['.mjs', '.js', '.ts', '.jsx', '.tsx', '.json', '.vue'],
  },
  test: {
    environment: 'jsdom',
    include:     ['test/unit/**/*.test.ts'],
    setupFiles:  ['test/unit/setup.ts'],
    server:      { deps: { inline: [/@rancher\/shell/] } },
    pool:        'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 20_000,
  },
});
