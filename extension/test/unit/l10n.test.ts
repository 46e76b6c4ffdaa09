// Every string the extension shows comes from l10n/en-us.yaml: static keys in the source, and each member of the
// key families built at runtime, must exist.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IntlMessageFormat } from 'intl-messageformat';
import { describe, expect, it } from 'vitest';
import { messages } from './i18n';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '../../pkg/hetzner-node-driver');
const sources = ['machine-config/hetzner.vue', 'cloud-credential/hetzner.vue', 'components/CloudProviderTab.vue', 'index.ts', ...readdirSync(join(pkg, 'lib')).map((f) => `lib/${ f }`)]
  .map((f) => readFileSync(join(pkg, f), 'utf8'))
  .join('\n');

describe('l10n/en-us.yaml', () => {
  it('has every static key used in the source', () => {
    const keys = [...sources.matchAll(/'(hetzner\.[\w.]+[\w])'/g)].map((m) => m[1]!).filter((k) => k !== 'hetzner.cloud');

    expect(keys.length).toBeGreaterThan(40);
    expect(keys.filter((k) => !(k in messages))).toEqual([]);
  });

  it('has every member of the runtime key families', () => {
    const validationKeys = [...readFileSync(join(pkg, 'lib/validation.ts'), 'utf8').matchAll(/(?:err|warn)\('\w+', '(\w+)'/g)].map(
      (m) => `hetzner.machineConfig.validation.${ m[1] }`,
    );
    const families = [
      ...validationKeys,
      ...['deprecated', 'unavailable', 'notSold', 'unknown'].map((k) => `hetzner.machineConfig.validation.type.${ k }`),
      ...['keyEmpty', 'keyInvalid', 'keyReserved', 'keyDriver', 'valueInvalid', 'keyDuplicate'].map(
        (k) => `hetzner.machineConfig.validation.label.${ k }`,
      ),
      ...['userDataYaml', 'userDataMapping'].map((k) => `hetzner.machineConfig.validation.${ k }`),
      ...['shared', 'dedicated'].map((k) => `hetzner.machineConfig.serverType.group.${ k }`),
      ...['none', 'existing', 'managed'].map((k) => `hetzner.machineConfig.firewall.mode.${ k }`),
      ...['locations', 'server_types', 'images', 'snapshots', 'networks', 'firewalls', 'ssh_keys', 'placement_groups', 'primary_ips', 'volumes'].map(
        (k) => `hetzner.machineConfig.loadFailed.${ k }`,
      ),
      ...['unauthorized', 'token_readonly', 'forbidden', 'rate_limit_exceeded', 'maintenance', 'unavailable', 'server_error'].map(
        (k) => `hetzner.errors.code.${ k }`,
      ),
      ...['api', 'proxyRefused', 'rancherDenied', 'http', 'network', 'shape'].map((k) => `hetzner.errors.${ k }`),
      ...['invalid', 'failed', 'readOnly', 'ok', 'running', 'skipped'].map((k) => `hetzner.credential.test.${ k }`),
      ...['invalid', 'insecure'].map((k) => `hetzner.credential.apiEndpoint.${ k }`),
      ...[...readFileSync(join(pkg, 'lib/rdns.ts'), 'utf8').matchAll(/key: '(rdns\.\w+)'/g)].map((m) => `hetzner.machineConfig.validation.${ m[1] }`),
      ...[...readFileSync(join(pkg, 'lib/networks.ts'), 'utf8').matchAll(/key: '(network\w+)'/g)].map((m) => `hetzner.machineConfig.validation.${ m[1] }`),
      ...['primaryIpAssignedWarning', 'volumeAttachedWarning'].map((k) => `hetzner.machineConfig.validation.${ k }`),
      ...['lib/cloud-provider.ts', 'lib/cloud-provider-hook.ts'].flatMap((f) => [...readFileSync(join(pkg, f), 'utf8').matchAll(/(?:\{|^)\s*key: '(\w+)'/gm)])
        .map((m) => `hetzner.cloudProvider.problems.${ m[1] }`),
      'cluster.provider.hetzner',
    ];

    expect(validationKeys.length).toBeGreaterThan(15);
    expect(families.filter((k) => !(k in messages))).toEqual([]);
  });

  it('parses as ICU messages, as the host formats them (literal braces are passed in as arguments)', () => {
    const broken = Object.entries(messages).filter(([, msg]) => {
      try {
        new IntlMessageFormat(msg, 'en-us'); // eslint-disable-line no-new -- parsing is the check

        return false;
      } catch {
        return msg.includes('{');
      }
    });

    expect(broken.map(([k]) => k)).toEqual([]);
    const help = new IntlMessageFormat(messages['hetzner.machineConfig.rdnsTemplate.help']!, 'en-us').format({
      phMachine: '{{ machine }}', phCluster: '{{ cluster }}', phPool: '{{ pool }}'
    });

    expect(help).toContain('{{ machine }}, {{ cluster }} (the cluster ID) and {{ pool }}');
  });
});
