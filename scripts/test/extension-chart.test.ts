// `node scripts/extension.mjs chart` against a stand-in build: the catalog layout Rancher's extension catalog
// expects, the annotations Rancher requires, a Helm index whose digest matches the packaged chart, and the
// UIPlugin/ClusterRepo manifests.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upstreamToken } from './extension-harness-server';

const root = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'extension/pkg/hetzner-node-driver/package.json'), 'utf8')) as {
  name: string;
  version: string;
  rancher: { annotations: Record<string, string> };
};
const full = `${pkg.name}-${pkg.version}`;
let work: string;

function chart(...args: string[]) {
  return spawnSync(process.execPath, [join(root, 'scripts/extension.mjs'), 'chart', ...args], { encoding: 'utf8' });
}

/** The chart command over the stand-in build that beforeAll writes, into the work directory. */
function chartOfStandIn() {
  return chart(
    '--dist-pkg',
    join(work, 'dist-pkg', full),
    '--out',
    join(work, 'catalog'),
    '--manifests',
    join(work, 'manifests'),
    '--repo-url',
    'https://charts.example.test/hetzner/',
  );
}

function listTgz(file: string): string[] {
  const r = spawnSync('tar', ['-tzf', file], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  return r.stdout.trim().split('\n');
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ext-chart-'));
  const dist = join(work, 'dist-pkg', full);
  mkdirSync(join(dist, 'img'), { recursive: true });
  writeFileSync(join(dist, `${full}.umd.min.js`), 'console.log("plugin")');
  writeFileSync(join(dist, `${full}.umd.min.machine-config.js`), '/* chunk */');
  writeFileSync(join(dist, 'img', 'hetzner.svg'), '<svg/>');
  writeFileSync(join(dist, 'report.html'), '<html/>');
  writeFileSync(join(dist, 'package.json'), '{}');
  const r = chartOfStandIn();
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('extension chart', () => {
  it('writes a chart with the annotations Rancher requires to list and load an extension', () => {
    const chartYaml = readFileSync(join(work, 'catalog/charts', pkg.name, pkg.version, 'Chart.yaml'), 'utf8');
    expect(chartYaml).toContain(`name: "${pkg.name}"`);
    expect(chartYaml).toContain(`version: "${pkg.version}"`);
    expect(chartYaml).toContain('catalog.cattle.io/ui-component: "plugins"');
    expect(chartYaml).toContain('catalog.cattle.io/namespace: "cattle-ui-plugin-system"');
    const ext = pkg.rancher.annotations['catalog.cattle.io/ui-extensions-version'];
    const rancher = pkg.rancher.annotations['catalog.cattle.io/rancher-version'];
    expect(ext).toMatch(/^>= 3\.0\.0 < 4\.0\.0$/);
    // 2.11 is the lowest line whose Vue (3.5) runs shell 3.0.13's form controls; 2.10 runs Vue 3.2 (README).
    expect(rancher).toBe('>= 2.11.0-0 < 2.16.0-0');
    expect(chartYaml).toContain(`catalog.cattle.io/ui-extensions-version: "${ext}"`);
    expect(chartYaml).toContain(`catalog.cattle.io/rancher-version: "${rancher}"`);
    expect(chartYaml).toMatch(/icon: "data:image\/svg\+xml;base64,/);
  });

  it('points the UIPlugin at the plugin files, with a compressed twin', () => {
    const values = readFileSync(join(work, 'catalog/charts', pkg.name, pkg.version, 'values.yaml'), 'utf8');
    const endpoint = `https://charts.example.test/hetzner/extensions/${pkg.name}/${pkg.version}`;
    expect(values).toContain(`endpoint: "${endpoint}"`);
    expect(values).toContain(`compressedEndpoint: "${endpoint}.tgz"`);
    const cr = readFileSync(join(work, 'catalog/charts', pkg.name, pkg.version, 'templates/cr.yaml'), 'utf8');
    expect(cr).toContain('kind: UIPlugin');
    expect(cr).toContain('.Values.plugin.endpoint');
    const files = readFileSync(join(work, 'catalog/extensions', pkg.name, pkg.version, 'files.txt'), 'utf8');
    expect(files.trim().split('\n')).toEqual([
      'plugin/hetzner-node-driver-0.1.0.umd.min.js',
      'plugin/hetzner-node-driver-0.1.0.umd.min.machine-config.js',
      'plugin/img/hetzner.svg',
      'plugin/package.json',
    ]);
    expect(listTgz(join(work, 'catalog/extensions', pkg.name, `${pkg.version}.tgz`))).toContain(
      `${pkg.version}/plugin/${full}.umd.min.js`,
    );
  });

  it('packages the chart like helm package and indexes it with its digest', () => {
    const tgz = join(work, 'catalog/assets', pkg.name, `${full}.tgz`);
    expect(listTgz(tgz)).toEqual(
      expect.arrayContaining([
        `${pkg.name}/Chart.yaml`,
        `${pkg.name}/values.yaml`,
        `${pkg.name}/templates/cr.yaml`,
        `${pkg.name}/templates/_helpers.tpl`,
      ]),
    );
    const index = readFileSync(join(work, 'catalog/index.yaml'), 'utf8');
    const digest = createHash('sha256').update(readFileSync(tgz)).digest('hex');
    expect(index).toContain(`digest: "${digest}"`);
    expect(index).toContain(`- "assets/${pkg.name}/${full}.tgz"`);
    expect(index).toMatch(/^apiVersion: "v1"\nentries:\n {2}hetzner-node-driver:\n {4}- apiVersion: "v2"/);
  });

  it('writes the UIPlugin and ClusterRepo manifests', () => {
    const ui = readFileSync(join(work, 'manifests/uiplugin.yaml'), 'utf8');
    expect(ui).toContain('kind: "UIPlugin"');
    expect(ui).toContain('namespace: "cattle-ui-plugin-system"');
    expect(ui).toContain(
      `compressedEndpoint: "https://charts.example.test/hetzner/extensions/${pkg.name}/${pkg.version}.tgz"`,
    );
    expect(ui).toContain('catalog.cattle.io/ui-extensions-version: ');
    const repo = readFileSync(join(work, 'manifests/clusterrepo.yaml'), 'utf8');
    expect(repo).toContain('kind: "ClusterRepo"');
    expect(repo).toContain('url: "https://charts.example.test/hetzner/"');
  });

  it('is reproducible: a second run writes the same packaged chart', () => {
    const tgz = join(work, 'catalog/assets', pkg.name, `${full}.tgz`);
    const before = readFileSync(tgz);
    const r = chartOfStandIn();
    expect(r.status).toBe(0);
    expect(readFileSync(tgz).equals(before)).toBe(true);
  });
});

describe('extension chart: where it writes, and what it refuses', () => {
  const gitStatus = () =>
    spawnSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: root, encoding: 'utf8' }).stdout;

  it('writes the catalog and manifests under --dist-dir only, never into tracked files', () => {
    const before = gitStatus();
    const distDir = join(work, 'release-dist');
    const r = chart(
      '--dist-pkg',
      join(work, 'dist-pkg', full),
      '--dist-dir',
      distDir,
      '--repo-url',
      'https://c.test/x',
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(gitStatus()).toBe(before);
    expect(readFileSync(join(distDir, 'manifests/extension/clusterrepo.yaml'), 'utf8')).toContain(
      'url: "https://c.test/x"',
    );
    expect(readFileSync(join(distDir, 'catalog/index.yaml'), 'utf8')).toContain(`assets/${pkg.name}/${full}.tgz`);
    // What a user needs to know to serve it: the Rancher server, not the browser, fetches the files.
    expect(r.stdout).toContain('the Rancher server (not the browser) downloads https://c.test/x/extensions/');
    expect(r.stdout).toContain(`/v1/uiplugins/${pkg.name}/${pkg.version}/`);
  });

  it.each([
    ['no --repo-url', []],
    ['the placeholder', ['--repo-url', '@REPO_URL@']],
    ['the placeholder inside a URL', ['--repo-url', 'https://@REPO_URL@/catalog']],
    ['not a URL', ['--repo-url', 'catalog']],
  ])('refuses to package a chart with %s', (_what, args) => {
    const distDir = join(work, 'refused');
    const r = chart('--dist-pkg', join(work, 'dist-pkg', full), '--dist-dir', distDir, ...args);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^extension: .*--repo-url/);
    expect(r.stderr).toContain('Rancher server');
    expect(existsSync(distDir)).toBe(false);
  });
});

describe('harness proxy credential headers', () => {
  it('resolves a saved credential or a raw token to the upstream bearer token, as Rancher does', () => {
    expect(
      upstreamToken({
        'x-api-cattleauth-header': 'Bearer credID=cattle-global-data:cc-harness passwordField=apiToken',
      }),
    ).toBe('harness-read-write-token');
    expect(
      upstreamToken({ 'x-api-cattleauth-header': 'Bearer credID=cattle-global-data:cc-other passwordField=apiToken' }),
    ).toBeUndefined();
    expect(upstreamToken({ 'x-api-auth-header': 'Bearer abc' })).toBe('abc');
    expect(upstreamToken({})).toBeUndefined();
  });
});
