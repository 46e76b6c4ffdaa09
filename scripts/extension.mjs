#!/usr/bin/env node
// Drives the UI extension, which keeps its own npm install (shell does not build under pnpm's linker or as a
// workspace member; see DESIGN.md):
//   install  npm ci in extension/ (the committed lockfile, exactly) when node_modules does not match the lock
//   build    shell's build-pkg → extension/dist-pkg/hetzner-node-driver-<version>/ (prints its size), then, with
//            --repo-url, the catalog below (without it, no catalog: a chart must name where it is served from)
//   lint     shell's shared ESLint config over pkg/ and test/, and tsc over the TypeScript sources and tests
//   test     lint, the extension's vitest suite, then the headless-Chromium browser test (--unit-only / --browser-only)
//            and the host test (test/host: the built bundle under each supported Rancher line's Vue and Vuex)
//   chart    a static Helm repository for Rancher's extension catalog in dist/catalog/ (chart, packaged chart, plugin
//            files, index.yaml) and the UIPlugin/ClusterRepo manifests in dist/manifests/extension/; never writes
//            tracked files. Options: --repo-url <URL the catalog directory will be served from> (required: the
//            Rancher server downloads the plugin files from there), --dist-dir <dir> (instead of dist/), --out <dir>,
//            --manifests <dir>, --dist-pkg <built extension dir> (default: build it).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ext = join(root, 'extension');
const PKG = 'hetzner-node-driver';
const pkgDir = join(ext, 'pkg', PKG);
const STAMP = join(ext, 'node_modules', '.hetzner-install-stamp');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const REPO_PLACEHOLDER = '@REPO_URL@';

function fail(message) {
  console.error(`extension: ${message}`);
  process.exit(1);
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: ext, ...options });
  if (r.error) fail(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

/** What decides the installed tree: the lockfile and the dependency fields of package.json (not its scripts). */
function lockHash() {
  const { dependencies, devDependencies, overrides } = JSON.parse(readFileSync(join(ext, 'package.json'), 'utf8'));
  return createHash('sha256')
    .update(readFileSync(join(ext, 'package-lock.json')))
    .update(JSON.stringify({ dependencies, devDependencies, overrides }))
    .digest('hex');
}

/**
 * The environment for npm: without the npm_config_* variables that pnpm (when this runs under `pnpm build` or
 * `pnpm test`) exports for its own settings, which npm does not know and warns about ("Unknown env config").
 */
function npmEnv() {
  const env = { ...process.env };
  if (!env.npm_config_user_agent?.startsWith('pnpm/')) return env;
  const r = spawnSync('npm', ['config', 'ls', '--json', '-l'], {
    cwd: ext,
    encoding: 'utf8',
    env: Object.fromEntries(Object.entries(env).filter(([k]) => !k.toLowerCase().startsWith('npm_config_'))),
  });
  const known = r.status === 0 ? new Set(Object.keys(JSON.parse(r.stdout))) : new Set();
  for (const k of Object.keys(env)) {
    if (!k.toLowerCase().startsWith('npm_config_')) continue;
    const name = k.slice('npm_config_'.length).toLowerCase().replaceAll('_', '-');
    if (name === 'user-agent' || !known.has(name)) delete env[k];
  }
  return env;
}

/**
 * Installs exactly the locked tree (`npm ci`) when node_modules does not match package.json + package-lock.json.
 * extension/.npmrc holds the settings that tree needs (legacy peer deps, engines not enforced), so a plain `npm ci`
 * in extension/ gives the same tree; package.json's allowScripts decides which install scripts run. npm ci never
 * writes the lockfile: a lockfile out of step with package.json fails here instead of being rewritten.
 */
function install() {
  if (!existsSync(join(ext, 'package-lock.json'))) fail('extension/package-lock.json is missing');
  const want = lockHash();
  const have = existsSync(STAMP) ? readFileSync(STAMP, 'utf8').trim() : '';
  if (have === want && existsSync(join(ext, 'node_modules', '@rancher', 'shell'))) return;
  console.log('extension: installing dependencies from package-lock.json (npm ci; takes a few minutes)');
  const started = Date.now();
  const r = spawnSync('npm', ['ci'], { cwd: ext, env: npmEnv(), stdio: ['inherit', 'inherit', 'pipe'] });
  // @rancher/shell 3.0.13 declares engines node >= 24, yet builds and tests on the Node this project supports
  // (README, Quick start): one line instead of npm's EBADENGINE block. Anything else npm prints stays.
  const stderr = (r.stderr ?? Buffer.alloc(0)).toString();
  const shellEngine =
    /npm warn EBADENGINE Unsupported engine \{\nnpm warn EBADENGINE {3}package: '@rancher\/shell@[^']+',\n(?:npm warn EBADENGINE .*\n)*?npm warn EBADENGINE \}\n/;
  process.stderr.write(stderr.replace(shellEngine, ''));
  if (r.error) fail(`npm could not start: ${r.error.message}`);
  if (r.status !== 0) fail(`npm ci failed (exit ${r.status ?? r.signal})`);
  if (shellEngine.test(stderr)) {
    console.log(`extension: @rancher/shell asks for a newer Node than ${process.version}; it builds and tests on it`);
  }
  if (lockHash() !== want) fail('package-lock.json changed during npm ci');
  writeFileSync(STAMP, `${want}\n`);
  console.log(`extension: installed in ${((Date.now() - started) / 1000).toFixed(0)}s`);
}

function pkgJson() {
  return JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
}

function distDir() {
  return join(ext, 'dist-pkg', `${PKG}-${pkgJson().version}`);
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** The file a relative import names: as written, or with `.ts`, or the folder's index.ts; null if none. */
function resolveImport(fromFile, specifier) {
  const base = join(dirname(fromFile), specifier);
  const found = [base, `${base}.ts`, join(base, 'index.ts')].find((f) => existsSync(f) && statSync(f).isFile());
  return found ?? null;
}

/**
 * What the bundle is built from: the package's files, and the driver modules it imports (lib/addresses.ts takes
 * the driver's IP rules from driver/src) with whatever those import in turn.
 */
function bundleSources() {
  const own = walk(pkgDir).filter((f) => !f.includes('/node_modules/') && !f.includes('/.shell/'));
  const importsOf = (file) =>
    [...readFileSync(file, 'utf8').matchAll(/\bfrom\s+'(\.{1,2}\/[^']+)'/g)]
      .map((m) => resolveImport(file, m[1]))
      .filter((f) => f !== null);
  const outside = new Set();
  const queue = own.filter((f) => /\.(ts|vue)$/.test(f)).flatMap(importsOf);
  while (queue.length > 0) {
    const file = queue.pop();
    if (file.startsWith(`${pkgDir}/`) || outside.has(file)) continue;
    outside.add(file);
    queue.push(...importsOf(file));
  }
  return [...own, ...outside];
}

function sizeReport(dir) {
  const files = walk(dir);
  const total = files.reduce((n, f) => n + statSync(f).size, 0);
  const js = files.filter((f) => f.endsWith('.js')).reduce((n, f) => n + statSync(f).size, 0);
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  return `${relative(root, dir)}: ${files.length} files, ${kib(total)} total, ${kib(js)} JavaScript (without maps)`;
}

/** shell's build-pkg → extension/dist-pkg/hetzner-node-driver-<version>/; returns that directory. */
function buildBundle() {
  install();
  const started = Date.now();
  run('bash', ['./node_modules/@rancher/shell/scripts/build-pkg.sh', PKG]);
  const dist = distDir();
  if (!existsSync(join(dist, `${PKG}-${pkgJson().version}.umd.min.js`))) fail(`build produced no bundle in ${dist}`);
  console.log(`extension: built in ${((Date.now() - started) / 1000).toFixed(1)}s — ${sizeReport(dist)}`);
  return dist;
}

/** The bundle, then the catalog when the URL it will be served from is known; never a chart with a placeholder. */
function build(flags) {
  const dist = buildBundle();
  if (flags['repo-url']) {
    chartCmd({ ...flags, 'dist-pkg': dist });
    return;
  }
  // A catalog from an earlier build with a URL would otherwise look current.
  const { out, manifests } = outputs(flags);
  rmSync(out, { recursive: true, force: true });
  rmSync(manifests, { recursive: true, force: true });
  console.log(
    'extension: no catalog URL given, so no catalog was written. The Rancher server (not the browser) downloads\n' +
      "  the extension's files from the catalog and serves them at /v1/uiplugins/…, so the catalog must be served\n" +
      '  where the Rancher server can reach it: pnpm build --catalog-url https://<host>/<path>\n' +
      '  (or node scripts/extension.mjs chart --repo-url https://<host>/<path>)',
  );
}

function lint() {
  install();
  // Shell's launcher picks ESLint 10 with extension/eslint.config.mjs (shell's shared flat config).
  run(join(ext, 'node_modules', '@rancher', 'shell', 'scripts', 'lint'), ['pkg', 'test']);
  // The build type-checks pkg/ (fork-ts-checker); this also covers the tests and the browser harness.
  run(join(ext, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json']);
}

function test(flags) {
  install();
  if (!flags['browser-only']) {
    lint();
    run(join(ext, 'node_modules', '.bin', 'vitest'), ['run']);
  }
  if (flags['unit-only']) return;
  if (!existsSync(CHROMIUM)) {
    fail(`the browser test needs Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  run(process.execPath, [join(ext, 'test', 'browser', 'run.mjs')]);
  // The host test loads the built bundle: build it when it is missing or older than what it is built from.
  const bundle = join(distDir(), `${PKG}-${pkgJson().version}.umd.min.js`);
  const newest = Math.max(...bundleSources().map((f) => statSync(f).mtimeMs));
  if (!existsSync(bundle) || statSync(bundle).mtimeMs < newest) buildBundle();
  run(process.execPath, [join(ext, 'test', 'host', 'run.mjs')]);
}

// ---------------------------------------------------------------------------------------------------------------
// chart

/**
 * YAML for the plain data written here (maps, lists, strings, numbers, booleans). Strings are emitted as JSON
 * strings, which YAML reads as double-quoted scalars, so no value can change type or break the document; this
 * keeps `chart` free of the extension's node_modules.
 */
function toYaml(value, indent = '') {
  const key = (k) => (/^[A-Za-z0-9_./-]+$/.test(k) ? k : JSON.stringify(k));
  const scalar = (v) => (typeof v === 'string' ? JSON.stringify(v) : String(v));
  const isEmpty = (v) => (Array.isArray(v) ? v.length === 0 : v && typeof v === 'object' && !Object.keys(v).length);
  if (Array.isArray(value)) {
    return value
      .map((v) =>
        v && typeof v === 'object' && !isEmpty(v)
          ? `${indent}-${toYaml(v, `${indent}  `).slice(indent.length + 1)}`
          : `${indent}- ${isEmpty(v) ? (Array.isArray(v) ? '[]' : '{}') : scalar(v)}\n`,
      )
      .join('');
  }
  return Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => {
      if (v && typeof v === 'object' && !isEmpty(v)) return `${indent}${key(k)}:\n${toYaml(v, `${indent}  `)}`;
      if (isEmpty(v)) return `${indent}${key(k)}: ${Array.isArray(v) ? '[]' : '{}'}\n`;
      return `${indent}${key(k)}: ${v === null ? 'null' : scalar(v)}\n`;
    })
    .join('');
}

/** Deterministic tar.gz of `dir` (entries under `name/`), as `helm package` lays charts out. */
function tarGz(parent, name, out) {
  const r = spawnSync(
    'tar',
    ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-cf', '-', '-C', parent, name],
    { maxBuffer: 1 << 30 },
  );
  if (r.status !== 0) fail(`tar failed: ${r.stderr?.toString() ?? r.error?.message}`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, gzipSync(r.stdout, { level: 9 }));
}

const HELPERS = `{{/* Names and labels, as in shell's ui-plugin-server chart. */}}
{{- define "hetzner-extension.fullname" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "hetzner-extension.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "hetzner-extension.fullname" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}
`;

const UIPLUGIN_TEMPLATE = `apiVersion: catalog.cattle.io/v1
kind: UIPlugin
metadata:
  name: {{ include "hetzner-extension.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels: {{ include "hetzner-extension.labels" . | nindent 4 }}
spec:
  plugin:
    name: {{ include "hetzner-extension.fullname" . }}
    version: {{ default .Chart.AppVersion .Values.plugin.versionOverride | quote }}
    endpoint: {{ .Values.plugin.endpoint | quote }}
    compressedEndpoint: {{ .Values.plugin.compressedEndpoint | quote }}
    noCache: {{ .Values.plugin.noCache }}
    noAuth: {{ .Values.plugin.noAuth }}
    metadata: {{- toYaml .Values.plugin.metadata | nindent 6 }}
`;

function chartFiles({ pkg, repoUrl, icon }) {
  const endpoint = `${repoUrl.replace(/\/+$/, '')}/extensions/${pkg.name}/${pkg.version}`;
  const annotations = pkg.rancher?.annotations ?? {};
  for (const key of ['catalog.cattle.io/ui-extensions-version', 'catalog.cattle.io/rancher-version']) {
    if (!annotations[key]) fail(`pkg/${PKG}/package.json lacks rancher.annotations["${key}"]`);
  }
  const chart = {
    apiVersion: 'v2',
    name: pkg.name,
    description: pkg.description,
    type: 'application',
    version: pkg.version,
    appVersion: pkg.version,
    icon,
    keywords: ['hetzner', 'node-driver', 'rancher-extension'],
    annotations: {
      // Where Rancher installs UI extension charts, and what makes the catalog list this as an extension.
      'catalog.cattle.io/namespace': 'cattle-ui-plugin-system',
      'catalog.cattle.io/scope': 'management',
      'catalog.cattle.io/ui-component': 'plugins',
      'catalog.cattle.io/os': 'linux',
      'catalog.cattle.io/permits-os': 'linux, windows',
      ...annotations,
    },
  };
  const values = {
    nameOverride: '',
    plugin: {
      versionOverride: '',
      endpoint,
      compressedEndpoint: `${endpoint}.tgz`,
      noCache: false,
      noAuth: false,
      metadata: annotations,
    },
  };
  const { versionOverride: _unused, ...pluginSpec } = values.plugin;
  const uiPlugin = {
    apiVersion: 'catalog.cattle.io/v1',
    kind: 'UIPlugin',
    metadata: { name: pkg.name, namespace: 'cattle-ui-plugin-system' },
    spec: { plugin: { name: pkg.name, version: pkg.version, ...pluginSpec } },
  };
  const clusterRepo = {
    apiVersion: 'catalog.cattle.io/v1',
    kind: 'ClusterRepo',
    metadata: { name: 'hetzner-extension' },
    spec: { url: repoUrl },
  };
  return { chart, values, uiPlugin, clusterRepo };
}

function manifestHeader(what, repoUrl) {
  return `# ${what}\n# Written by scripts/extension.mjs chart for the catalog at ${repoUrl}; do not edit by hand.\n`;
}

/** Where the catalog and the manifests go: under dist/ (or --dist-dir), never into tracked files. */
function outputs(flags) {
  const distRoot = flags['dist-dir'] ?? join(root, 'dist');
  return {
    out: flags.out ?? join(distRoot, 'catalog'),
    manifests: flags.manifests ?? join(distRoot, 'manifests', 'extension'),
  };
}

/**
 * The URL the catalog will be served from. Rancher's UIPlugin controller (on the Rancher server, not in browsers)
 * downloads the plugin files from the chart's endpoint, so a chart holding the placeholder installs a UIPlugin
 * that never loads: refuse to package one.
 */
function catalogUrl(flags) {
  const why =
    'the Rancher server downloads the extension from <URL>/extensions/… and serves it to browsers at ' +
    '/v1/uiplugins/…, so the chart must name the URL the catalog is served from';
  const url = flags['repo-url'];
  if (!url) fail(`--repo-url <URL> is required: ${why}`);
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    fail(`--repo-url ${url} is not a URL (${why})`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') fail(`--repo-url must be http(s), not ${url}`);
  if (url.includes(REPO_PLACEHOLDER) || decodeURI(url).includes(REPO_PLACEHOLDER)) {
    fail(`--repo-url still holds the placeholder ${REPO_PLACEHOLDER}: ${why}`);
  }
  return url;
}

function chartCmd(flags) {
  const repoUrl = catalogUrl(flags);
  const pkg = pkgJson();
  let dist = flags['dist-pkg'];
  if (!dist) {
    if (!existsSync(join(distDir(), `${PKG}-${pkg.version}.umd.min.js`))) buildBundle();
    dist = distDir();
  }
  if (!existsSync(dist)) fail(`no built extension at ${dist}`);
  const { out, manifests } = outputs(flags);
  const icon = `data:image/svg+xml;base64,${readFileSync(join(pkgDir, 'assets', 'hetzner.svg')).toString('base64')}`;
  const { chart, values, uiPlugin, clusterRepo } = chartFiles({ pkg, repoUrl, icon });
  const dump = (o) => toYaml(o);

  rmSync(out, { recursive: true, force: true });
  // The plugin files Rancher downloads from spec.plugin.endpoint (and the .tgz for compressedEndpoint).
  const extVersionDir = join(out, 'extensions', pkg.name, pkg.version);
  mkdirSync(join(extVersionDir, 'plugin'), { recursive: true });
  cpSync(dist, join(extVersionDir, 'plugin'), { recursive: true, filter: (f) => basename(f) !== 'report.html' });
  const files = walk(join(extVersionDir, 'plugin'))
    .map((f) => relative(extVersionDir, f))
    .sort();
  writeFileSync(join(extVersionDir, 'files.txt'), `${files.join('\n')}\n`);
  tarGz(join(out, 'extensions', pkg.name), pkg.version, join(out, 'extensions', pkg.name, `${pkg.version}.tgz`));

  // The chart, unpacked (charts/) and packaged (assets/), plus the repository index.
  const chartDir = join(out, 'charts', pkg.name, pkg.version);
  mkdirSync(join(chartDir, 'templates'), { recursive: true });
  writeFileSync(join(chartDir, 'Chart.yaml'), dump(chart));
  writeFileSync(join(chartDir, 'values.yaml'), dump(values));
  writeFileSync(join(chartDir, 'templates', '_helpers.tpl'), HELPERS);
  writeFileSync(join(chartDir, 'templates', 'cr.yaml'), UIPLUGIN_TEMPLATE);
  const stage = mkdtempSync(join(tmpdir(), 'hetzner-chart-'));
  try {
    cpSync(chartDir, join(stage, pkg.name), { recursive: true });
    const tgzRel = `assets/${pkg.name}/${pkg.name}-${pkg.version}.tgz`;
    tarGz(stage, pkg.name, join(out, tgzRel));
    const created = new Date(Number(process.env.SOURCE_DATE_EPOCH ?? 0) * 1000 || Date.now()).toISOString();
    const index = {
      apiVersion: 'v1',
      entries: {
        [pkg.name]: [
          {
            ...chart,
            created,
            digest: createHash('sha256')
              .update(readFileSync(join(out, tgzRel)))
              .digest('hex'),
            urls: [tgzRel],
          },
        ],
      },
      generated: created,
    };
    writeFileSync(join(out, 'index.yaml'), dump(index));
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }

  const uiPluginYaml = `${manifestHeader('UIPlugin: installs the extension directly, without the catalog.', repoUrl)}${dump(uiPlugin)}`;
  const repoYaml = `${manifestHeader('ClusterRepo: adds the extension catalog to Rancher (Extensions → Available).', repoUrl)}${dump(clusterRepo)}`;
  mkdirSync(manifests, { recursive: true });
  writeFileSync(join(manifests, 'uiplugin.yaml'), uiPluginYaml);
  writeFileSync(join(manifests, 'clusterrepo.yaml'), repoYaml);
  const rel = (p) => (relative(root, p).startsWith('..') ? p : relative(root, p));
  console.log(
    `extension: catalog in ${rel(out)}, manifests in ${rel(manifests)}. Serve the catalog at ${repoUrl}:\n` +
      `  the Rancher server (not the browser) downloads ${values.plugin.endpoint}\n` +
      `  and serves it at /v1/uiplugins/${pkg.name}/${pkg.version}/…, so that URL must be reachable from the Rancher server.`,
  );
}

const [command, ...rest] = process.argv.slice(2);
const { values: flags } = parseArgs({
  args: rest,
  options: {
    'unit-only': { type: 'boolean', default: false },
    'browser-only': { type: 'boolean', default: false },
    'repo-url': { type: 'string' },
    out: { type: 'string' },
    manifests: { type: 'string' },
    'dist-pkg': { type: 'string' },
    'dist-dir': { type: 'string' },
  },
});
switch (command) {
  case 'install':
    install();
    break;
  case 'build':
    build(flags);
    break;
  case 'lint':
    lint();
    break;
  case 'test':
    test(flags);
    break;
  case 'chart':
    chartCmd(flags);
    break;
  default:
    fail('usage: node scripts/extension.mjs <install|build|lint|test|chart> [options]');
}
