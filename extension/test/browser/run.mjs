// Browser test: builds the harness page, starts the fake Rancher proxy in front of the mock Hetzner API (a tsx
// script in the root workspace), and drives both forms in headless Chromium. Screenshots go to artifacts/.
// Exit code 0 when every check passes. Usage: node test/browser/run.mjs
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ext = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const root = join(ext, '..');
const artifacts = join(ext, 'artifacts');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const STEP_TIMEOUT = 30_000;

async function buildHarness() {
  const { build } = await import('vite');
  const config = (await import('./vite.config.mjs')).default;
  await build({ configFile: false, ...config });
  return config.build.outDir;
}

/** Starts the proxy + mock; resolves with its URLs once it prints them. */
function startServer(staticDir) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/test/extension-harness-server.ts', staticDir], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('harness server did not start within 60 s')), 60_000);
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line));
    });
    child.once('exit', (code) => reject(new Error(`harness server exited early (code ${code})`)));
  });
  return { child, ready };
}

/** Opens a shell LabeledSelect and clicks the option whose text starts with `text`. */
async function pick(page, testid, text) {
  await page.locator(`[data-testid="${testid}"]`).first().click();
  const option = page.locator('.vs__dropdown-menu .vs__dropdown-option', { hasText: text }).first();
  await option.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
  await option.click();
  await page.keyboard.press('Escape');
}

async function optionTexts(page, testid) {
  await page.locator(`[data-testid="${testid}"]`).first().click();
  await page.locator('.vs__dropdown-menu').first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
  const texts = await page.locator('.vs__dropdown-menu li').allInnerTexts();
  await page.keyboard.press('Escape');
  return texts.map((s) => s.trim());
}

async function main() {
  const started = Date.now();
  mkdirSync(artifacts, { recursive: true });
  rmSync(join(artifacts, 'failure.png'), { force: true });
  const dist = await buildHarness();
  const { child, ready } = startServer(dist);
  const { chromium } = await import('playwright-core');
  let browser;
  const checks = [];
  const check = (name, fn) => checks.push({ name, fn });
  try {
    const { url } = await ready;
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    if (process.env.HARNESS_DEBUG) {
      page.on('console', (m) => console.log(`[page ${m.type()}] ${m.text()}`));
      page.on('response', (r) => r.status() >= 400 && console.log(`[page http ${r.status()}] ${r.url()}`));
    }
    page.setDefaultTimeout(STEP_TIMEOUT);
    await page.goto(url);
    await page.waitForFunction(() => window.harness?.state().poolValid !== null);
    // The location list has arrived once the select shows the default location's label.
    await page.locator('[data-testid="hetzner-location"]').first().getByText('fsn1 — Falkenstein, DE').waitFor();

    check('cloud credential: a read-only token is refused with a clear message', async () => {
      await page.locator('input[data-testid="hetzner-api-token"], [data-testid="hetzner-api-token"] input').first().fill('harness-read-only-token');
      await page.locator('#test-credential').click();
      await page.locator('[data-testid="hetzner-credential-result"]').getByText('This token is read-only.').waitFor();
      assert.equal((await page.evaluate(() => window.harness.state())).testResult, false);
    });

    check('cloud credential: a read-write token passes test()', async () => {
      await page.locator('input[data-testid="hetzner-api-token"], [data-testid="hetzner-api-token"] input').first().fill('harness-read-write-token');
      assert.deepEqual(await page.evaluate(() => window.harness.credential()), { apiToken: 'harness-read-write-token' });
      await page.locator('#test-credential').click();
      await page.locator('[data-testid="hetzner-credential-result"]').getByText('The token is valid').waitFor();
      const state = await page.evaluate(() => window.harness.state());
      assert.equal(state.testResult, true);
      assert.equal(state.credentialValid, true);
      await page.locator('#credential-section').screenshot({ path: join(artifacts, 'cloud-credential.png') });
    });

    check('machine config: location, type, image and private network produce the expected config', async () => {
      await pick(page, 'hetzner-location', 'nbg1 —');
      const types = await optionTexts(page, 'hetzner-server-type');
      assert.ok(types.some((t) => t.startsWith('cax11 · arm')), `cax11 offered in nbg1: ${types.join(' | ')}`);
      assert.ok(types.includes('Shared vCPU'), 'types are grouped');
      await pick(page, 'hetzner-server-type', 'cax11');
      const images = await optionTexts(page, 'hetzner-image');
      assert.ok(images.some((t) => t.includes('arm')), `arm snapshot offered: ${images.join(' | ')}`);
      assert.ok(!images.some((t) => t.includes('x86')), `no x86 snapshot for an arm type: ${images.join(' | ')}`);
      assert.ok(!images.some((t) => t.startsWith('ubuntu-20.04')), 'deprecated image hidden');
      await pick(page, 'hetzner-image', 'debian-12');
      await page.locator('[data-testid="hetzner-use-private-network"] .checkbox-container').click();
      // Live validation: the private network needs a network.
      await page.locator('[data-testid="hetzner-errors"]').getByText('Using the private network needs at least one network.').waitFor();
      assert.equal((await page.evaluate(() => window.harness.state())).poolValid, false);
      await pick(page, 'hetzner-networks', 'private');
      await page.waitForFunction(() => window.harness.state().poolValid === true);
      const config = await page.evaluate(() => window.harness.config());
      assert.equal(config.serverLocation, 'nbg1');
      assert.equal(config.serverType, 'cax11');
      assert.equal(config.image, 'debian-12');
      assert.equal(config.usePrivateNetwork, true);
      assert.equal(config.networks.length, 1);
      assert.match(config.networks[0], /^\d+$/);
      assert.deepEqual(config.firewalls, []);
      assert.equal(config.userData, '/var/lib/rancher/bootstrap');
      assert.equal(config.sshPort, '22');
      // CodeMirror (the YAML editor) loads asynchronously; wait so the screenshot shows it.
      await page.locator('#machine-section .CodeMirror').first().waitFor({ state: 'attached' });
      await page.locator('#machine-section').screenshot({ path: join(artifacts, 'machine-config.png') });
    });

    check('machine config: fallback location, spread placement, a volume, the cost line and the IP-family signal', async () => {
      const before = await page.evaluate(() => window.harness.state());
      // Both public families on a single-stack (default) cluster: neither dual-stack nor IPv6-only.
      assert.equal(before.isDualStack, false, 'a default pool is not dual-stack');
      assert.equal(before.isIpv6, false);
      // The primary location stays nbg1; fsn1 becomes its fallback.
      const fallbacks = await optionTexts(page, 'hetzner-fallback-locations');
      assert.ok(!fallbacks.some((t) => t.startsWith('nbg1')), `the primary is not offered as its own fallback: ${fallbacks.join(' | ')}`);
      await pick(page, 'hetzner-fallback-locations', 'fsn1 —');
      await page.locator('[data-testid="hetzner-location-order"]').getByText('Tried in order: nbg1 → fsn1').waitFor();
      await page.locator('[data-testid="hetzner-placement-spread"] .checkbox-container').click();
      // The mock's detached volume in nbg1.
      await pick(page, 'hetzner-volumes', 'backup-1');
      await page.locator('[data-testid="hetzner-cost"]').getByText(/^2 × €\d+\.\d\d = €\d+\.\d\d \/ month \(excl\. traffic\)$/).waitFor();
      await page.waitForFunction(() => window.harness.state().poolValid === true);
      let config = await page.evaluate(() => window.harness.config());
      assert.equal(config.serverLocation, 'nbg1,fsn1');
      assert.equal(config.serverType, 'cax11');
      assert.equal(config.placementGroupSpread, true);
      assert.equal(config.clusterId, 'harness-cluster', 'spread placement fills the cluster ID from the cluster name');
      assert.equal(config.volumes.length, 1);
      assert.match(config.volumes[0], /^\d+$/);
      // Primary IPs and volumes pin the location: the form says the fallback will be skipped.
      await page.locator('[data-testid="hetzner-warnings"]').getByText('Primary IPs and volumes exist in nbg1 only').waitFor();
      // A placement group on top of spread placement is a conflict that blocks the save.
      await pick(page, 'hetzner-placement-group', 'spread');
      await page.locator('[data-testid="hetzner-spread-error"]').getByText('not both').waitFor();
      assert.equal((await page.evaluate(() => window.harness.state())).poolValid, false);
      await pick(page, 'hetzner-placement-group', 'None');
      await page.waitForFunction(() => window.harness.state().poolValid === true);
      // Without public IPv4 the nodes talk over the private network (IPv4) while it is in use, over IPv6 otherwise.
      await page.locator('[data-testid="hetzner-disable-ipv4"] .checkbox-container').click();
      await page.waitForFunction(() => window.harness.state().isIpv6 === false && window.harness.state().isDualStack === false);
      await page.locator('[data-testid="hetzner-use-private-network"] .checkbox-container').click();
      await page.waitForFunction(() => window.harness.state().isIpv6 === true && window.harness.state().isDualStack === false);
      await page.locator('[data-testid="hetzner-use-private-network"] .checkbox-container').click();
      await page.locator('[data-testid="hetzner-disable-ipv4"] .checkbox-container').click();
      await page.waitForFunction(() => window.harness.state().isIpv6 === false && window.harness.state().isDualStack === false);
      config = await page.evaluate(() => window.harness.config());
      assert.equal(config.placementGroup, '');
      assert.equal(config.disablePublicIpv4, false);
      // A fixed private IP: the pool has two machines, so the form warns; outside the network it is an error.
      const netId = config.networks[0].split(':')[0];
      await pick(page, `hetzner-network-pin-${netId}`, 'Fixed IP');
      const ip = page.locator(`input[data-testid="hetzner-network-ip-${netId}"]`);
      await ip.fill('10.9.0.7');
      await page.locator('[data-testid="hetzner-errors"]').getByText('10.9.0.7 is outside network private (10.0.0.0/16)').waitFor();
      await ip.fill('10.0.1.50');
      await page.locator('[data-testid="hetzner-warnings"]').getByText('A fixed IP in private works for one machine only, but this pool has 2').waitFor();
      await page.waitForFunction(() => window.harness.state().poolValid === true);
      assert.deepEqual((await page.evaluate(() => window.harness.config())).networks, [`${netId}:10.0.1.50`]);
      await page.locator('#machine-section').screenshot({ path: join(artifacts, 'machine-config-extras.png') });
    });

    check('no page errors, no HTML entities shown and no missing translations', async () => {
      assert.deepEqual(pageErrors, []);
      const shown = await page.locator('body').innerText();
      assert.doesNotMatch(shown, /&(amp|lt|gt|quot|#39);/, 'an escaped string is shown as text');
      assert.match(shown, /Read & Write/);
      assert.deepEqual(await page.evaluate(() => window.harness.missing()), []);
    });

    let failed = 0;
    for (const { name, fn } of checks) {
      try {
        await fn();
        console.log(`  ✓ ${name}`);
      } catch (e) {
        failed++;
        console.log(`  ✗ ${name}\n    ${e instanceof Error ? e.message : e}`);
        await page.screenshot({ path: join(artifacts, 'failure.png'), fullPage: true }).catch(() => {});
      }
    }
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`browser test: ${checks.length - failed}/${checks.length} passed in ${secs}s; screenshots in ${artifacts}`);
    process.exitCode = failed ? 1 : 0;
  } finally {
    await browser?.close();
    child.stdin.end();
    child.kill('SIGTERM');
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
