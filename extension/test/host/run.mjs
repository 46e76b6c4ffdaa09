// Host test: loads the BUILT extension (extension/dist-pkg) into a stand-in Rancher Dashboard once per Rancher line
// the package admits (its catalog.cattle.io/rancher-version annotation), each with that line's Vue and Vuex, the way
// the Dashboard does (script tag by package id, window[id].default(plugin), types by name, l10n, store, icon), and
// drives both forms in headless Chromium as the line's MachinePool.vue / cloudcredential.vue host them.
// Screenshots: extension/artifacts/host/<line>.png (ignored). Exit code 0 when every check passes on every line.
// Usage: node test/host/run.mjs [--lines 2.10,2.14]   (default: the lines the package admits)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LINES, vueDir, vuexDir } from './lines.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ext = join(here, '..', '..');
const root = join(ext, '..');
const shots = join(ext, 'artifacts', 'host');
const hostDist = join(ext, '.host-dist');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const STEP = 20_000;
/** Lines run side by side, each in its own browser context against its own mock; two keep a 2-core machine busy. */
const CONCURRENCY = Number(process.env.HOST_TEST_CONCURRENCY ?? 2);
const PKG_DIR = join(ext, 'pkg', 'hetzner-node-driver');
/** What a visible text must not contain: HTML entities from escaping a string that is rendered as text. */
const ENTITY = /&(amp|#39|quot|lt|gt|#x2F);/;

const pkg = JSON.parse(readFileSync(join(PKG_DIR, 'package.json'), 'utf8'));
const { default: semver } = await import('semver');

/** The lines the package's rancher-version annotation admits (a line's newest release satisfies the range). */
export function admittedLines(range = pkg.rancher.annotations['catalog.cattle.io/rancher-version']) {
  return LINES.filter((l) => semver.satisfies(l.version, range));
}

/** Builds the host (test/host/page) unless the build of the same sources is there. */
async function buildHost() {
  const inputs = ['page/host.ts', 'page/index.html', 'vite.config.mjs', 'lines.mjs'].map((f) => readFileSync(join(here, f)));
  const hash = createHash('sha256');
  for (const b of [...inputs, readFileSync(join(ext, 'package-lock.json'))]) hash.update(b);
  const want = hash.digest('hex');
  const stamp = join(hostDist, '.stamp');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want && existsSync(join(hostDist, 'host.js'))) return;
  const started = Date.now();
  const { build } = await import('vite');
  const config = (await import('./vite.config.mjs')).default;
  await build({ configFile: false, ...config });
  writeFileSync(stamp, want);
  console.log(`host test: built the host in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

function startServer(lines) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/test/extension-host-server.ts', ext, ...lines.map((l) => l.line)], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('host server did not start within 60 s')), 60_000);
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line));
    });
    child.once('exit', (code) => reject(new Error(`host server exited early (code ${code})`)));
  });
  return { child, ready };
}

/** Opens a shell LabeledSelect through its UI and clicks the option whose text starts with `text`. */
async function pick(page, testid, text) {
  await page.locator(`[data-testid="${testid}"]`).first().click();
  const option = page.locator('.vs__dropdown-menu .vs__dropdown-option', { hasText: text }).first();
  await option.waitFor({ state: 'visible', timeout: STEP });
  await option.click();
  await page.keyboard.press('Escape');
}

/** Visible text containing an HTML entity, line by line. */
async function entities(page) {
  const text = await page.locator('body').innerText();
  return text.split('\n').filter((l) => ENTITY.test(l));
}

async function runLine(browser, baseUrl, mockUrl, line, version) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1800 } });
  await context.addCookies([
    { name: 'vue', value: vueDir(line), url: baseUrl },
    { name: 'vuex', value: vuexDir(line), url: baseUrl },
    { name: 'line', value: line.line, url: baseUrl },
  ]);
  const page = await context.newPage();
  page.setDefaultTimeout(STEP);
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // Failed responses (the injected 503, the refused read-only token) are the forms' to handle, not page errors.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(`console.error: ${m.text()}`);
    if (process.env.HOST_DEBUG) console.log(`[${line.line} ${m.type()}] ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && /^\/(v1\/uiplugins|host|vendor)\//.test(new URL(r.url()).pathname)) pageErrors.push(`HTTP ${r.status()} ${r.url()}`);
  });
  const results = [];
  const check = async (name, fn) => {
    const t = Date.now();
    try {
      await fn();
      if (process.env.HOST_DEBUG) console.log(`  (${name}: ${Date.now() - t} ms)`);
      results.push({ name, ok: true });
    } catch (e) {
      results.push({ name, ok: false, message: e instanceof Error ? e.message.split('\n').slice(0, 12).join('\n      ') : String(e) });
    }
  };
  const seenEntities = new Set();
  const scan = async () => {
    for (const l of await entities(page)) seenEntities.add(l.trim());
  };
  const rec = () => page.evaluate(() => window.__host.record());

  // The first firewall list of this line fails (a Hetzner error whose message has an apostrophe and an ampersand),
  // so the form shows a load error and must recover on reload.
  const faults = new URL('/__mock/faults', mockUrl);
  await fetch(faults, { method: 'DELETE' });
  const added = await fetch(faults, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      match: { method: 'GET', path: '^/firewalls$' },
      when: { times: 1 },
      effect: { status: 503, code: 'unavailable', message: "The firewall service's queue & backend are down" },
    }),
  });
  assert.equal(added.status, 201, 'the mock took the fault rule');

  try {
    // The first load parses the host's stylesheet and scripts; slow on a busy machine.
    await page.goto(baseUrl, { timeout: 60_000 });
    const vue = await page.evaluate(() => window.Vue?.version);
    const vuex = await page.evaluate(() => window.Vuex?.version);
    await check(`runs Vue ${line.vue} and Vuex ${line.vuex}`, async () => {
      assert.equal(vue, line.vue);
      assert.equal(vuex, line.vuex);
    });

    let loaded;
    await check('loads the built bundle as the Dashboard does and registers what the cluster pages look up', async () => {
      loaded = await page.evaluate(
        async ([l, name, ver]) => {
          window.__host = window.rancherHost.boot(l);
          return window.__host.loadPlugin(name, ver);
        },
        [line.line, pkg.name, version],
      );
      assert.equal(loaded.metadataName, pkg.name);
      assert.equal(loaded.dynamic['machine-config']?.hetzner, 'function', 'machine-config/hetzner');
      assert.equal(loaded.dynamic['cloud-credential']?.hetzner, 'function', 'cloud-credential/hetzner');
      assert.match(loaded.dynamic.l10n?.['en-us'] ?? '', /^\d+ loader/, 'l10n en-us');
      assert.equal(loaded.providerName, 'Hetzner Cloud', 'cluster.provider.hetzner from the l10n');
      assert.ok(loaded.hasStore, 'the "hetzner" store module is registered');
      assert.ok(loaded.icon, 'image providers/hetzner.svg');
      const icon = await page.evaluate(async (u) => {
        const r = await fetch(u);
        return { status: r.status, type: r.headers.get('content-type'), body: (await r.text()).slice(0, 200) };
      }, loaded.icon);
      assert.equal(icon.status, 200, `icon ${loaded.icon}`);
      assert.match(icon.body, /<svg/);
    });
    if (!loaded) throw new Error('the extension did not load; nothing else can be checked');

    await page.evaluate(() => window.__host.mount());
    const location = page.locator('[data-testid="hetzner-location"]').first();
    const token = page.locator('input[data-testid="hetzner-api-token"], [data-testid="hetzner-api-token"] input').first();

    await check('both forms mount as async components', async () => {
      await token.waitFor();
      await location.getByText('fsn1').first().waitFor();
    });

    await check('a failed list load is shown by the form and leaves no stale error on the cluster page', async () => {
      const loadError = page.locator('[data-testid="hetzner-load-error"]');
      await loadError.getByText(/firewalls/).first().waitFor();
      if (process.env.HOST_DEBUG) console.log(`[${line.line}] load error shown: ${await loadError.innerText()}`);
      await scan();
      await page.locator('[data-testid="hetzner-reload"]').click();
      await loadError.waitFor({ state: 'detached' });
      const r = await rec();
      const emitted = r.events.filter((e) => e.from === 'pool' && e.name === 'error').map((e) => e.args[0]);
      // rke2.vue expects { <pool>: [field names] } (its message reads "The provided value for <fields> was not found
      // in the list of expected values"); a sentence in that place reads as nonsense.
      const config = await page.evaluate(() => window.__host.config());
      const problems = [];
      for (const payload of emitted) {
        for (const [, fields] of Object.entries(payload ?? {})) {
          for (const f of fields ?? []) if (!(f in config)) problems.push(`the error event names ${JSON.stringify(f)}, not a field of the config`);
        }
      }
      if (r.hostErrors.length) problems.push(`after a successful reload the cluster page still shows: ${r.hostErrors.join(' | ')}`);
      assert.deepEqual(problems, []);
    });

    await check('a select changes through its UI (location → nbg1)', async () => {
      await pick(page, 'hetzner-location', 'nbg1');
      await page.waitForFunction(() => (window.__host.config()?.serverLocation ?? '').startsWith('nbg1'), null, { timeout: 5000 });
    });

    await check(`IP-family flags for ${line.ipFamily === 'none' ? 'a line that listens to none' : line.ipFamily}`, async () => {
      const families = async () => {
        await page.waitForTimeout(150);
        return page.evaluate(() => window.__host.pool());
      };
      const v4 = page.locator('[data-testid="hetzner-disable-ipv4"] .checkbox-container');
      const problems = [];
      const expect = (pool, field, want, what) => {
        if (pool[field] !== want) problems.push(`${what}: ${field} is ${pool[field]}, expected ${want}`);
      };
      const expectFor = (pool, want, what) => {
        if (line.ipFamily === 'hasIpv6') expect(pool, 'hasIpv6', want.ipv6 || want.dual, what);
        if (line.ipFamily === 'isIpv6/isDualStack') {
          expect(pool, 'isIpv6', want.ipv6, what);
          expect(pool, 'isDualStack', want.dual, what);
        }
      };
      // A default pool (public IPv4 and IPv6): the cluster runs IPv4, whatever the servers' IPv6 addresses. On 2.13
      // hasIpv6 would switch the new cluster to dual-stack; on 2.14+ isDualStack makes rke2.vue warn on every save.
      expectFor(await families(), { ipv6: false, dual: false }, 'default pool');
      // Public IPv6 only and no private network: the nodes have only IPv6 addresses.
      await v4.click();
      try {
        expectFor(await families(), { ipv6: true, dual: false }, 'IPv6-only pool');
      } finally {
        await v4.click();
      }
      expectFor(await families(), { ipv6: false, dual: false }, 'back to the default pool');
      const config = await page.evaluate(() => window.__host.config());
      assert.equal(config.disablePublicIpv4, false);
      assert.deepEqual(problems, []);
    });

    await check(`the pool gets the cluster autoscaler's annotations${line.autoscaling ? " and Rancher's own fields" : ''}`, async () => {
      const A = 'cluster.provisioning.cattle.io/autoscaler-';
      await page.locator('[data-testid="hetzner-autoscaler-enabled"] .checkbox-container').click();
      await page.waitForFunction(
        (key) => window.__host.pool()?.pool?.machineDeploymentAnnotations?.[key] !== undefined,
        `${A}resource-cpu`,
        { timeout: 5000 },
      );
      const { pool } = await page.evaluate(() => window.__host.pool());
      const config = await page.evaluate(() => window.__host.config());
      // The mock's cx23 (the form's default type): 2 vCPU, 4 GB RAM, 40 GB disk.
      assert.equal(config.serverType, 'cx23');
      assert.deepEqual(pool.machineDeploymentAnnotations, {
        [`${A}min-size`]: '1',
        [`${A}max-size`]: '3',
        [`${A}resource-cpu`]: '2',
        [`${A}resource-memory`]: '4G',
        [`${A}resource-ephemeral-storage`]: '40G',
        // The same capacity for Rancher's own autoscaler (the Cluster API provider reads the MachineDeployment).
        'capacity.cluster-autoscaler.kubernetes.io/cpu': '2',
        'capacity.cluster-autoscaler.kubernetes.io/memory': '4G',
        'capacity.cluster-autoscaler.kubernetes.io/ephemeral-disk': '40G',
      });
      if (line.autoscaling) {
        assert.equal(pool.autoscalingMinSize, 1);
        assert.equal(pool.autoscalingMaxSize, 3);
      } else {
        assert.ok(!('autoscalingMinSize' in pool) && !('autoscalingMaxSize' in pool), 'no autoscalingMin/MaxSize before 2.13');
      }
      assert.equal((await rec()).poolValid, true);
      await scan();
    });

    await check("the machine pool's test() reaches the form through the async wrapper", async () => {
      const r = await page.evaluate(() => window.__host.poolTest());
      assert.equal(r.reachable, true, 'MachinePool.vue $refs.configComponent.test is a function');
      assert.ok(Array.isArray(r.errors));
    });

    await check("the credential page's test() reaches the form and refuses a read-only token", async () => {
      await token.fill('harness-read-only-token');
      await page.waitForFunction(() => window.__host.record().credential.apiToken === 'harness-read-only-token');
      const r = await page.evaluate(() => window.__host.saveCredential());
      assert.equal(r.reachable, true, 'cloudcredential.vue $refs.cloudComponent.test is a function');
      assert.equal(r.ok, false);
      await page.locator('[data-testid="hetzner-credential-result"]').waitFor();
      await scan();
      await token.fill('harness-read-write-token');
      const ok = await page.evaluate(() => window.__host.saveCredential());
      assert.equal(ok.ok, true, 'a read-write token passes');
      assert.equal((await rec()).credValid, true);
    });

    await check('the cluster-create tab and the hetzner provisioner write the cloud provider; the token only in a Secret', async () => {
      assert.equal(loaded.dynamic.provisioner?.hetzner, 'function', 'provisioner hetzner');
      assert.deepEqual(loaded.tabs['cluster-create-rke2'], ['hetzner-cloud-provider'], 'the CLUSTER_CREATE_RKE2 tab');
      await page.locator('[data-testid="hetzner-cloud-provider"]').waitFor();
      await page.locator('[data-testid="hetzner-cloud-provider-enable"] .checkbox-container').click();
      await page.waitForTimeout(150);
      await scan();
      const secretsIn = (kube) => Object.keys(kube).filter((k) => k.startsWith('secret/fleet-default/'));
      // Refused first: a pool hostname limit under 63 lets node names differ from server names. Nothing is written.
      await page.evaluate(() => window.__host.setHostnameLimit(30));
      const refused = await page.evaluate(() => window.__host.createCluster());
      assert.equal(refused.ok, false, 'a hostname limit of 30 is refused');
      assert.match(refused.error, /Pool workers limits host names to 30 characters/);
      await page.locator('#cluster-errors').getByText(/limits host names/).first().waitFor();
      assert.deepEqual(secretsIn(await page.evaluate(() => window.__host.kube())), []);
      assert.equal((await rec()).savedCluster, null, 'no cluster saved');

      await page.evaluate(() => window.__host.setHostnameLimit(0));
      const created = await page.evaluate(() => window.__host.createCluster());
      assert.deepEqual(created, { ok: true });
      const cluster = (await rec()).savedCluster;
      const token = await page.evaluate(() => window.__host.clusterToken);
      const posted = JSON.stringify(cluster);
      assert.ok(!posted.includes(token) && !posted.includes(Buffer.from(token).toString('base64')), 'the token is not in the cluster');
      const rke = cluster.spec.rkeConfig;
      assert.equal(rke.machineGlobalConfig['cloud-provider-name'], 'external');
      assert.equal(rke.machineGlobalConfig['disable-cloud-controller'], true);
      assert.equal(rke.machineSelectorConfig[0].config['cloud-provider-name'], 'external', 'the Basics tab choice is replaced');
      const { default: jsyaml } = await import('js-yaml');
      const charts = jsyaml.loadAll(rke.additionalManifest).filter((d) => d?.kind === 'HelmChart');
      assert.deepEqual(charts.map((c) => [c.spec.chart, c.spec.version, c.spec.bootstrap]), [
        ['hcloud-cloud-controller-manager', '1.35.0', true], ['hcloud-csi', '2.22.1', true],
      ]);
      const ccm = jsyaml.load(charts[0].spec.valuesContent);
      assert.deepEqual(ccm.networking, { enabled: false });
      assert.equal(ccm.env.HCLOUD_LOAD_BALANCERS_LOCATION.value, 'nbg1', 'from the pool the form edited');
      const files = rke.machineSelectorFiles;
      assert.equal(files.length, 1);
      assert.equal(files[0].fileSources[0].secret.name, 'harness-cluster-hcloud-token');
      assert.equal(files[0].fileSources[0].secret.items[0].path, '/var/lib/rancher/rke2/server/manifests/hetzner-hcloud-token.yaml');
      const kube = await page.evaluate(() => window.__host.kube());
      assert.deepEqual(secretsIn(kube), ['secret/fleet-default/harness-cluster-hcloud-token']);
      const secret = kube['secret/fleet-default/harness-cluster-hcloud-token'];
      assert.equal(secret.metadata.annotations['rke.cattle.io/object-authorized-for-clusters'], 'harness-cluster');
      assert.equal(secret.metadata.ownerReferences?.[0]?.uid, 'uid-harness-cluster', 'the cluster owns the Secret');
      const manifest = jsyaml.load(Buffer.from(secret.data['hetzner-hcloud-token.yaml'], 'base64').toString('utf8'));
      assert.deepEqual(manifest.metadata, { name: 'hcloud', namespace: 'kube-system' });
      assert.equal(manifest.stringData.token, token, 'the Secret carries the credential\'s token');
    });

    await scan();
    await check('no visible HTML entities (&amp; &#39; …) in any state seen', async () => {
      assert.deepEqual([...seenEntities], []);
    });
    await check('no missing translations', async () => {
      const text = await page.locator('body').innerText();
      assert.deepEqual(text.split('\n').filter((l) => /%hetzner\./.test(l)), []);
    });
    await check('no page errors', async () => {
      const r = await rec();
      assert.deepEqual([...pageErrors, ...r.errors], []);
    });
  } catch (e) {
    results.push({ name: 'run', ok: false, message: e instanceof Error ? e.message : String(e) });
  } finally {
    await page.screenshot({ path: join(shots, `rancher-${line.line}.png`), fullPage: true }).catch(() => {});
    await context.close();
  }
  return results;
}

/**
 * The README's "Supported Rancher versions", the package annotation and the catalog (the rendered UIPlugin manifest and
 * chart, when there are) name the same lines.
 */
function checkStatedLines() {
  const range = pkg.rancher.annotations['catalog.cattle.io/rancher-version'];
  const admitted = admittedLines(range).map((l) => l.line);
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = /#### Supported Rancher versions\n([\s\S]*?)\n#/.exec(readme)?.[1] ?? '';
  const claimed = /\*\*Rancher ([^*]+)\*\*/.exec(section)?.[1] ?? '';
  assert.deepEqual(claimed.match(/\d+\.\d+/g) ?? [], admitted, `README "Supported Rancher versions" names ${claimed}`);
  assert.ok(section.includes(`"${range}"`), 'README quotes the annotation');
  // The catalog is rendered into dist/ by `pnpm build --catalog-url …`; when one was rendered, it must agree.
  const manifest = join(root, 'dist', 'manifests', 'extension', 'uiplugin.yaml');
  if (existsSync(manifest)) {
    assert.ok(readFileSync(manifest, 'utf8').includes(`catalog.cattle.io/rancher-version: "${range}"`), `${manifest} carries the range`);
  }
  const chart = join(root, 'dist', 'catalog', 'charts', pkg.name, pkg.version, 'Chart.yaml');
  if (existsSync(chart)) {
    assert.ok(readFileSync(chart, 'utf8').includes(`catalog.cattle.io/rancher-version: "${range}"`), `${chart} carries the range`);
  }
  return admitted;
}

async function main() {
  const started = Date.now();
  const admitted = checkStatedLines();
  console.log(`host test: the package, README and catalog admit Rancher ${admitted.join(', ')}`);
  const { values } = parseArgs({ options: { lines: { type: 'string' } } });
  const lines = values.lines ? LINES.filter((l) => values.lines.split(',').includes(l.line)) : admittedLines();
  if (!lines.length) throw new Error('no Rancher line to test');
  const version = pkg.version;
  if (!existsSync(join(ext, 'dist-pkg', `${pkg.name}-${version}`, `${pkg.name}-${version}.umd.min.js`))) {
    throw new Error('no built extension: run node scripts/extension.mjs build first');
  }
  mkdirSync(shots, { recursive: true });
  await buildHost();
  const { child, ready } = startServer(lines);
  const { chromium } = await import('playwright-core');
  let browser;
  let failed = 0;
  try {
    const { url, mocks } = await ready;
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    // The lines run two at a time (each in its own browser context, against its own mock); reports stay in order.
    const reports = [];
    const queue = [...lines];
    const worker = async () => {
      for (let line = queue.shift(); line; line = queue.shift()) {
        const t = Date.now();
        const results = await runLine(browser, url, mocks[line.line], line, version);
        reports.push({ line, results, secs: ((Date.now() - t) / 1000).toFixed(1) });
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    reports.sort((a, b) => lines.indexOf(a.line) - lines.indexOf(b.line));
    for (const { line, results, secs } of reports) {
      const bad = results.filter((r) => !r.ok);
      failed += bad.length;
      console.log(`Rancher ${line.line} (${line.tag}, Vue ${line.vue}, Vuex ${line.vuex}): ${results.length - bad.length}/${results.length} passed in ${secs}s`);
      for (const r of results) console.log(`  ${r.ok ? '✓' : '✗'} ${r.name}${r.ok ? '' : `\n      ${r.message}`}`);
    }
  } finally {
    await browser?.close();
    child.stdin.end();
    child.kill('SIGTERM');
  }
  console.log(`host test: ${lines.map((l) => l.line).join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)}s; screenshots in ${shots}`);
  process.exitCode = failed ? 1 : 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
