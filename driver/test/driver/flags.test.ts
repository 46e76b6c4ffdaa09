import { describe, expect, it } from 'vitest';
import { createFlags, FLAG } from '../../src/driver';
import { emptyConfig, parseConfig, serializeConfig, settingsOfConfig, storeSettings } from '../../src/driver/config';
import { fromRancherField, readFlagFromEnv, readFlags, toRancherField } from '../../src/driver/flags';
import type { FlagValue } from '../../src/driver/interface';
import { DEFAULT_ENDPOINT } from '../../src/hcloud/endpoint';

const DESIGN_FLAGS = [
  'hetzner-api-token',
  'hetzner-server-type',
  'hetzner-server-location',
  'hetzner-image',
  'hetzner-use-private-network',
  'hetzner-networks',
  'hetzner-firewalls',
  'hetzner-create-firewall',
  'hetzner-firewall-name',
  'hetzner-auto-create-firewall-rules',
  'hetzner-cluster-id',
  'hetzner-existing-ssh-key',
  'hetzner-disable-public-ipv4',
  'hetzner-disable-public-ipv6',
  'hetzner-user-data',
  'hetzner-placement-group',
];

describe('GetCreateFlags', () => {
  const flags = createFlags();
  const byName = new Map(flags.map((f) => [f.name, f]));

  it('has the 16 design flags in the design order, then our own (a new flag comes after them)', () => {
    expect(flags.map((f) => f.name).slice(0, 16)).toEqual(DESIGN_FLAGS);
    expect(flags.map((f) => f.name).slice(16, 28)).toEqual([
      'hetzner-api-endpoint',
      'hetzner-ssh-user',
      'hetzner-ssh-port',
      'hetzner-server-labels',
      'hetzner-rdns-template',
      'hetzner-firewall-admin-cidrs',
      'hetzner-firewall-close-nodeports',
      'hetzner-additional-user-data',
      'hetzner-placement-group-spread',
      'hetzner-primary-ipv4',
      'hetzner-primary-ipv6',
      'hetzner-volumes',
    ]);
  });

  it('keeps the design defaults and kinds', () => {
    expect(byName.get('hetzner-server-type')).toMatchObject({ kind: 'string', value: 'cx23' });
    expect(byName.get('hetzner-server-location')).toMatchObject({ kind: 'string', value: 'fsn1' });
    expect(byName.get('hetzner-image')).toMatchObject({ kind: 'string', value: 'ubuntu-24.04' });
    expect(byName.get('hetzner-api-token')).toMatchObject({ kind: 'string', value: '', envVar: 'HETZNER_API_TOKEN' });
    expect(byName.get('hetzner-api-endpoint')).toMatchObject({
      value: 'https://api.hetzner.cloud/v1',
      envVar: 'HETZNER_API_ENDPOINT',
    });
    expect(byName.get('hetzner-ssh-port')).toMatchObject({ kind: 'int', value: 22 });
    expect(byName.get('hetzner-ssh-user')).toMatchObject({ kind: 'string', value: 'root' });
    for (const b of ['use-private-network', 'create-firewall', 'auto-create-firewall-rules', 'disable-public-ipv4']) {
      expect(byName.get(`hetzner-${b}`)?.kind).toBe('bool');
    }
    for (const l of ['networks', 'firewalls', 'server-labels']) {
      expect(byName.get(`hetzner-${l}`)).toMatchObject({ kind: 'stringSlice', value: [] });
    }
  });

  it('gives every flag a HETZNER_* env var and a usage line', () => {
    for (const f of flags) {
      expect(f.envVar).toBe(f.name.toUpperCase().replace(/-/g, '_'));
      expect(f.envVar.startsWith('HETZNER_')).toBe(true);
      expect(f.usage.length).toBeGreaterThan(15);
    }
    expect(new Set(flags.map((f) => f.name)).size).toBe(flags.length);
  });

  it('puts hetzner-user-data first among user-data-like flags (rancher-machine writes its path there)', () => {
    const first = flags.find((f) => /user-data|userdata|custom-data|cloud-config/.test(f.name));
    expect(first?.name).toBe('hetzner-user-data');
    expect(flags.some((f) => f.name.endsWith('-os'))).toBe(false);
  });

  it('survives Rancher camelCase round trip', () => {
    for (const f of flags) {
      const field = toRancherField(f.name);
      expect(fromRancherField('hetzner', field)).toBe(f.name);
      for (const part of f.name.split('-')) expect(part).toMatch(/^[a-z][a-z0-9]*$/);
    }
    expect(toRancherField('hetzner-disable-public-ipv4')).toBe('disablePublicIpv4');
    expect(toRancherField('hetzner-api-token')).toBe('apiToken');
  });

  it('answers identically every time and hands out copies', () => {
    const a = createFlags();
    const slice = a.find((f) => f.kind === 'stringSlice');
    if (slice?.kind === 'stringSlice') slice.value.push('mutated');
    expect(createFlags()).toEqual(flags);
  });
});

describe('readFlags', () => {
  const read = (v: Record<string, FlagValue>) => readFlags(new Map(Object.entries(v)));

  it('fills defaults for missing and nil values', () => {
    const s = read({ 'hetzner-server-type': null });
    expect(s).toMatchObject({
      serverType: 'cx23',
      location: 'fsn1',
      image: 'ubuntu-24.04',
      apiEndpoint: 'https://api.hetzner.cloud/v1',
      sshUser: 'root',
      sshPort: 22,
      networks: [],
      usePrivateNetwork: false,
    });
  });

  it('accepts slices as lists or comma-separated strings, and bools and ints as strings', () => {
    const s = read({
      [FLAG.networks]: ['net-a', 'net-b, net-c'],
      [FLAG.firewalls]: 'fw1,fw2',
      [FLAG.usePrivateNetwork]: 'true',
      [FLAG.sshPort]: '2222',
      [FLAG.serverLabels]: ['env=prod', 'team=a'],
    });
    expect(s.networks).toEqual(['net-a', 'net-b', 'net-c']);
    expect(s.firewalls).toEqual(['fw1', 'fw2']);
    expect(s.usePrivateNetwork).toBe(true);
    expect(s.sshPort).toBe(2222);
    expect(s.serverLabels).toEqual(['env=prod', 'team=a']);
  });

  it('keeps user data byte for byte', () => {
    const ud = '#cloud-config\n  runcmd: [ "x" ]\n';
    expect(read({ [FLAG.userData]: ud }).userData).toBe(ud);
  });

  it('rejects a bad SSH port with the flag name', () => {
    expect(() => read({ [FLAG.sshPort]: 70000 })).toThrow(/hetzner-ssh-port/);
  });
});

describe('a flag from its environment variable', () => {
  it('has the shape the same flag has from the wire: the token trimmed once, the same way', () => {
    const env = { HETZNER_API_TOKEN: '  tok-123\n', HETZNER_SSH_PORT: '2222', HETZNER_NETWORKS: 'a, b' };
    expect(readFlagFromEnv('apiToken', env)).toBe('tok-123');
    expect(readFlagFromEnv('apiToken', env)).toBe(readFlags(new Map([[FLAG.apiToken, '  tok-123\n']])).apiToken);
    expect(readFlagFromEnv('apiToken', {})).toBe('');
    expect(readFlagFromEnv('sshPort', env)).toBe(2222);
    expect(readFlagFromEnv('networks', env)).toEqual(['a', 'b']);
    expect(() => readFlagFromEnv('sshPort', { HETZNER_SSH_PORT: '0' })).toThrow(/hetzner-ssh-port/);
  });
});

describe('settings of a stored config (a process that got only SetConfigRaw)', () => {
  it('reads an empty stored value as the flag default, labels back as key=value, and user data as empty', () => {
    const c = parseConfig(JSON.stringify({ SSHPort: 0, SSHUser: '', ServerLabels: { env: 'prod' }, Networks: null }));
    const s = settingsOfConfig(c);
    expect(s).toMatchObject({ sshPort: 22, sshUser: 'root', serverLabels: ['env=prod'], networks: [], userData: '' });
    expect(s.additionalUserData).toBe('');
  });

  it('stores the settings of every stored flag, and never user data', () => {
    const s = readFlags(
      new Map<string, FlagValue>([
        [FLAG.userData, '#cloud-config\n'],
        [FLAG.serverLabels, ['env=prod']],
        [FLAG.sshPort, 2022],
      ]),
    );
    const c = emptyConfig();
    storeSettings(c, s);
    expect(c).toMatchObject({
      ServerLabels: { env: 'prod' },
      SSHPort: 2022,
      Type: 'cx23',
      APIEndpoint: DEFAULT_ENDPOINT,
    });
    expect(new TextDecoder().decode(serializeConfig(c))).not.toContain('cloud-config');
  });
});
