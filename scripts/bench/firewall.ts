// Shared-firewall benchmark: N create-firewall nodes (each its own HcloudClient, as each Rancher driver process
// has) join one cluster at once against the mock with its default action durations and the reconciler's real
// backoff. Prints API calls and set_rules calls per join and the time until the firewall matches ground truth,
// side by side with the Go design's read-modify-write (add own IP to the rules read, write, check own IP) on the
// same mock, which shows the lost updates the ground-truth reconciler avoids.
//
//   npx tsx scripts/bench/firewall.ts [--n 5,20,50] [--mode lastWins|conflict|locked] [--spread-ms 0]

import { prepareClusterFirewall, registerNode } from '../../driver/src/firewall';
import { normaliseCidrList } from '../../driver/src/firewall/cidr';
import { nodeSources } from '../../driver/src/firewall/desired';
import { clusterLabels } from '../../driver/src/firewall/labels';
import { backoffDelay, DEFAULT_RECONCILE_OPTIONS } from '../../driver/src/firewall/reconcile';
import { INTERNAL_RULES, internalRule, internalSources, isInternalRule } from '../../driver/src/firewall/rules';
import { HcloudClient, isHcloudError } from '../../driver/src/hcloud';
import type { FirewallRuleRequest } from '../../driver/src/hcloud/resources/firewall';
import type { Server } from '../../driver/src/hcloud/resources/server';
import { labelSelector, toLabelValue } from '../../driver/src/labels';
import type { Logger } from '../../driver/src/log';
import { type MockServer, startMock } from '../../hcloud-mock/src/index';

type Mode = 'lastWins' | 'conflict' | 'locked';
type Strategy = 'ground-truth' | 'go-rmw';

const quiet: Logger = { info() {}, warn() {}, debug() {}, error() {} };

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

function client(url: string): HcloudClient {
  return new HcloudClient({ token: 'bench', endpoint: url });
}

async function createServer(
  c: HcloudClient,
  name: string,
  clusterId: string,
  prepared: { firewallIds: number[]; serverLabels: Record<string, string> },
): Promise<Server> {
  const r = await c.servers.create({
    name,
    server_type: 'cx23',
    image: 'ubuntu-24.04',
    location: 'fsn1',
    labels: { ...prepared.serverLabels, ...clusterLabels(clusterId), machine: toLabelValue(name) },
    ...(prepared.firewallIds.length ? { firewalls: prepared.firewallIds.map((firewall) => ({ firewall })) } : {}),
  });
  await c.actions.waitFor([r.action, ...r.next_actions]);
  return (await c.servers.get(r.server.id))!;
}

/** The Go design's register: read rules, add own /32 to internal rules, set_rules, wait, re-read, check own IP. */
async function goStyleRegister(c: HcloudClient, firewallId: number, server: Server): Promise<void> {
  const mine = nodeSources(server).filter((s) => s.includes('.'));
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      const fw = (await c.firewalls.get(firewallId))!;
      if (mine.every((m) => internalSources(fw.rules).includes(m))) return;
      const hasInternal = fw.rules.some(isInternalRule);
      const rules: FirewallRuleRequest[] = hasInternal
        ? fw.rules.map((r) =>
            isInternalRule(r) ? { ...r, source_ips: normaliseCidrList([...r.source_ips, ...mine]) } : r,
          )
        : [...fw.rules, ...INTERNAL_RULES.map((t) => internalRule(t, mine))];
      await c.actions.waitFor(await c.firewalls.setRules(firewallId, rules));
      const after = (await c.firewalls.get(firewallId))!;
      if (mine.every((m) => internalSources(after.rules).includes(m))) return;
    } catch (e) {
      if (!isHcloudError(e, 'conflict', 'locked')) throw e;
    }
    await new Promise((r) => setTimeout(r, backoffDelay(attempt, DEFAULT_RECONCILE_OPTIONS)));
  }
}

interface Result {
  n: number;
  strategy: Strategy;
  firewallCallsPerJoin: number;
  allCallsPerJoin: number;
  setRulesPerJoin: number;
  setRulesAcceptedPerJoin: number;
  convergeMs: number | null;
  lastJoinMs: number;
  missing: number;
}

async function run(n: number, strategy: Strategy, mode: Mode, spreadMs: number): Promise<Result> {
  const mock: MockServer = await startMock({ seedData: false, rateLimit: false, seed: n });
  mock.faults.setConcurrentSetRules(mode);
  const clusterId = `bench-${strategy}-${n}`;
  const observer = client(mock.url);
  const selector = labelSelector(clusterLabels(clusterId));
  try {
    const fwClients: HcloudClient[] = [];
    const nodeClients: HcloudClient[] = [];
    const t0 = performance.now();
    let convergeMs: number | null = null;
    let done = false;
    // Ground truth vs the firewall, polled until they agree once every join has returned.
    const watcher = (async () => {
      while (!done || convergeMs === null) {
        const [servers, fws] = await Promise.all([
          observer.servers.list({ label_selector: selector }),
          observer.firewalls.list({ label_selector: selector }),
        ]);
        const expected = normaliseCidrList(
          servers.flatMap((s) => nodeSources(s).filter((x) => strategy === 'ground-truth' || x.includes('.'))),
        );
        const ok =
          servers.length === n &&
          fws.length === 1 &&
          JSON.stringify(internalSources(fws[0]!.rules)) === JSON.stringify(expected);
        if (ok && convergeMs === null) convergeMs = performance.now() - t0;
        if (!ok) convergeMs = null;
        if (done) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        // Rancher starts machines together, but they come up at different times; spread models that.
        if (spreadMs > 0) await new Promise((r) => setTimeout(r, (spreadMs * i) / n));
        const nodeClient = client(mock.url);
        const fwClient = client(mock.url);
        nodeClients.push(nodeClient);
        fwClients.push(fwClient);
        const ctx = {
          client: fwClient,
          logger: quiet,
          clusterId,
          createFirewall: true,
          autoCreateRules: true,
          machineName: `${clusterId}-${i}`,
        };
        const prepared = await prepareClusterFirewall(ctx);
        const server = await createServer(nodeClient, ctx.machineName, clusterId, prepared);
        if (strategy === 'ground-truth') await registerNode(ctx, server);
        else await goStyleRegister(fwClient, prepared.firewallIds[0]!, server);
      }),
    );
    const lastJoinMs = performance.now() - t0;
    done = true;
    await watcher;
    const setRules = mock.requests.filter((r) => r.path.endsWith('/actions/set_rules'));
    const servers = await observer.servers.list({ label_selector: selector });
    const fw = (await observer.firewalls.list({ label_selector: selector }))[0]!;
    const held = new Set(internalSources(fw.rules));
    const missing = servers.filter((s) => !held.has(nodeSources(s)[0]!)).length;
    const sum = (cs: HcloudClient[]) => cs.reduce((a, c) => a + c.stats.requests, 0);
    return {
      n,
      strategy,
      firewallCallsPerJoin: sum(fwClients) / n,
      allCallsPerJoin: (sum(fwClients) + sum(nodeClients)) / n,
      setRulesPerJoin: setRules.length / n,
      setRulesAcceptedPerJoin: setRules.filter((r) => r.status === 201).length / n,
      convergeMs: missing === 0 ? convergeMs : null,
      lastJoinMs,
      missing,
    };
  } finally {
    await mock.stop();
  }
}

const ns = arg('n', '5,20,50').split(',').map(Number);
const mode = arg('mode', 'lastWins') as Mode;
const spread = Number(arg('spread-ms', '0'));
console.log(
  `shared firewall, ${spread > 0 ? `joins started over ${spread} ms` : 'concurrent joins'}, mock default action ` +
    `durations, set_rules mode ${mode}`,
);
console.log(
  [
    'N',
    'strategy',
    'fw calls/join',
    'all calls/join',
    'set_rules/join',
    'accepted/join',
    'converged s',
    'last join s',
    'nodes missing',
  ]
    .map((h) => h.padStart(16))
    .join(''),
);
for (const n of ns) {
  for (const strategy of ['ground-truth', 'go-rmw'] as const) {
    const r = await run(n, strategy, mode, spread);
    console.log(
      [
        String(r.n),
        r.strategy,
        r.firewallCallsPerJoin.toFixed(1),
        r.allCallsPerJoin.toFixed(1),
        r.setRulesPerJoin.toFixed(2),
        r.setRulesAcceptedPerJoin.toFixed(2),
        r.convergeMs === null ? 'never' : (r.convergeMs / 1000).toFixed(1),
        (r.lastJoinMs / 1000).toFixed(1),
        String(r.missing),
      ]
        .map((c) => c.padStart(16))
        .join(''),
    );
  }
}
