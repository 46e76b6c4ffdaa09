import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { firstHostOf, machineAddresses, privateAddress } from '../../src/driver/addresses';
import { parseConfig, serializeConfig } from '../../src/driver/config';
import { MachineState } from '../../src/driver/interface';
import { isOwnedBy, machineSelector, ownershipLabels, parseUserLabels, toLabelValue } from '../../src/driver/labels';
import { stateOfStatus } from '../../src/driver/state';
import { mergeUserData, resolveUserData, USER_DATA_LIMIT } from '../../src/driver/user-data';
import { generateEd25519KeyPair, md5Fingerprint, writeKeyPair } from '../../src/ssh/keys';

describe('config JSON', () => {
  it('reads a Go driver config (null slices, int64 ids, unknown keys) and writes the same keys back', () => {
    const go = {
      IPAddress: '1.2.3.4',
      MachineName: 'old',
      SSHUser: 'root',
      SSHPort: 22,
      SSHKeyPath: '/store/machines/old/id_rsa',
      StorePath: '/store',
      SwarmMaster: false,
      AccessToken: 'tok',
      Image: 'ubuntu-22.04',
      ImageID: 0,
      Type: 'cx22',
      Location: 'nbg1',
      KeyID: 4000000123,
      IsExistingKey: false,
      ServerID: 4000000456,
      Volumes: null,
      Networks: null,
      Firewalls: ['7'],
      ServerLabels: null,
      AdditionalKeyIDs: null,
      WaitOnPolling: 1,
    };
    const c = parseConfig(JSON.stringify(go));
    expect(c).toMatchObject({ ServerID: 4000000456, KeyID: 4000000123, Networks: [], ServerLabels: {}, Type: 'cx22' });
    const back = JSON.parse(new TextDecoder().decode(serializeConfig(c)));
    for (const k of ['ServerID', 'KeyID', 'AccessToken', 'MachineName', 'IPAddress', 'SSHKeyPath', 'Firewalls']) {
      expect(back[k]).toEqual((go as Record<string, unknown>)[k]);
    }
    for (const k of [
      'IPv6Address',
      'SwarmHost',
      'SwarmDiscovery',
      'UsePrivateNetwork',
      'DisablePublic4',
      'DisablePublic6',
    ]) {
      expect(k in back).toBe(true);
    }
  });

  it('rejects something that is not a JSON object with a clear message', () => {
    expect(() => parseConfig('[1]')).toThrow(/JSON object/);
    expect(() => parseConfig('{')).toThrow(/not valid JSON/);
  });
});

describe('labels', () => {
  it('keeps valid values and hashes the rest into valid, distinct values', () => {
    expect(toLabelValue('c-m-abc123')).toBe('c-m-abc123');
    const a = toLabelValue('fleet-default/c:1');
    const b = toLabelValue('fleet-default/c-1');
    expect(a).not.toBe(b);
    for (const v of [a, b, toLabelValue('x'.repeat(200)), toLabelValue('-_-'), toLabelValue('ü')]) {
      expect(v).toMatch(/^[a-zA-Z0-9]([a-zA-Z0-9._-]{0,61}[a-zA-Z0-9])?$/);
    }
  });

  it('marks and recognises our resources', () => {
    const l = ownershipLabels('m1', 'c-1');
    expect(l).toEqual({ 'managed-by': 'rancher-machine', machine: 'm1', cluster: 'c-1' });
    expect(isOwnedBy(l, 'm1')).toBe(true);
    expect(isOwnedBy(l, 'm2')).toBe(false);
    expect(isOwnedBy({ machine: 'm1' }, 'm1')).toBe(false);
    expect(machineSelector('m1')).toBe('managed-by=rancher-machine,machine=m1');
    expect(ownershipLabels('m1', '')).not.toHaveProperty('cluster');
  });

  it('parses user labels and refuses reserved or invalid ones', () => {
    const r = parseUserLabels(['env=prod', 'example.com/team=a', 'flag', 'managed-by=x', 'bad key=1', 'k=bad value']);
    expect(r.labels).toEqual({ env: 'prod', 'example.com/team': 'a', flag: '' });
    expect(r.problems).toHaveLength(3);
    expect(r.problems.join('\n')).toMatch(/reserved/);
  });
});

describe('user data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ud-'));

  it('reads a file path (as rancher-machine passes it) and passes inline content through', () => {
    const path = join(dir, 'modified-user-data123');
    writeFileSync(path, '#cloud-config\nhostname: m1\n');
    expect(resolveUserData(path, '').content).toBe('#cloud-config\nhostname: m1\n');
    expect(resolveUserData('#cloud-config\nruncmd: []\n', '').content).toBe('#cloud-config\nruncmd: []\n');
    expect(() => resolveUserData(join(dir, 'missing'), '')).toThrow(/names no file the driver can use/);
    expect(() => resolveUserData(dir, '')).toThrow(/names no file the driver can use/);
    expect(() => resolveUserData('#cloud-config\n', './nope.yaml')).toThrow(/takes the cloud-config itself/);
  });

  it('merges additional cloud-config as a cloud-init multipart message', () => {
    const merged = mergeUserData('#cloud-config\nhostname: m1\n', '#cloud-config\npackages: [jq]\n', 'B');
    expect(merged).toMatch(/^Content-Type: multipart\/mixed; boundary="==HETZNER-B=="/);
    expect(merged).toContain('Content-Type: text/cloud-config');
    expect(merged).toContain('Merge-Type: list(append)+dict(no_replace,recurse_list)+str()');
    expect(merged.indexOf('hostname: m1')).toBeLessThan(merged.indexOf('packages: [jq]'));
    expect(merged.trimEnd().endsWith('--==HETZNER-B==--')).toBe(true);
    expect(mergeUserData('#!/bin/sh\necho hi\n', '#cloud-config\na: 1\n')).toContain('text/x-shellscript');
    expect(mergeUserData('', '#cloud-config\na: 1\n')).toBe('#cloud-config\na: 1\n');
    expect(mergeUserData('#cloud-config\n', '')).toBe('#cloud-config\n');
  });

  it('refuses additional user data it cannot merge, naming the flag', () => {
    expect(() => mergeUserData('#cloud-config\n', 'packages: [jq]')).toThrow(/#cloud-config/);
  });

  it('enforces the 32 KiB limit on the merged result', () => {
    const big = `#cloud-config\n#${'x'.repeat(USER_DATA_LIMIT - 20)}\n`;
    expect(() => resolveUserData(big, '')).not.toThrow();
    expect(() => resolveUserData(big, '#cloud-config\npackages: [jq]\n')).toThrow(/32 KiB/);
  });
});

describe('addresses', () => {
  it('takes the first host of the IPv6 /64', () => {
    expect(firstHostOf('2001:db8:1:2::/64')).toBe('2001:db8:1:2::1');
    expect(firstHostOf('2a01:4f8:c17:1a2b::/64')).toBe('2a01:4f8:c17:1a2b::1');
    expect(firstHostOf('2001:db8:0:0:0:0:0:0/64')).toBe('2001:db8::1');
  });

  it('picks private, then IPv4, then IPv6', () => {
    const server = {
      public_net: { ipv4: { ip: '203.0.113.5' }, ipv6: { ip: '2001:db8:5::/64' } },
      private_net: [
        { network: 1, ip: '10.0.0.2' },
        { network: 2, ip: '10.1.0.2' },
      ],
    };
    expect(machineAddresses(server, { usePrivateNetwork: true, networkIds: [2] })).toEqual({
      ip: '10.1.0.2',
      ipv6: '2001:db8:5::1',
      privateIp: '10.1.0.2',
    });
    expect(machineAddresses(server, { usePrivateNetwork: false, networkIds: [] }).ip).toBe('203.0.113.5');
    expect(
      machineAddresses(
        { ...server, public_net: { ipv4: null, ipv6: server.public_net.ipv6 } },
        {
          usePrivateNetwork: false,
          networkIds: [],
        },
      ).ip,
    ).toBe('2001:db8:5::1');
    expect(() =>
      machineAddresses(
        { public_net: { ipv4: null, ipv6: null }, private_net: [] },
        { usePrivateNetwork: true, networkIds: [] },
      ),
    ).toThrow(/private network/);
  });

  it('reports the private IP as the internal address whenever a network is attached, whatever Rancher connects to', () => {
    const server = {
      public_net: { ipv4: { ip: '203.0.113.5' }, ipv6: { ip: '2001:db8:5::/64' } },
      private_net: [
        { network: 1, ip: '10.0.0.2' },
        { network: 2, ip: '10.1.0.2' },
      ],
    };
    // Public connection, private cluster traffic: the network listed first wins, not the API's order.
    expect(machineAddresses(server, { usePrivateNetwork: false, networkIds: [2, 1] })).toEqual({
      ip: '203.0.113.5',
      ipv6: '2001:db8:5::1',
      privateIp: '10.1.0.2',
    });
    // A listed network the server has no IP in yet is passed over; with none listed, the first attached one.
    expect(privateAddress(server, [3, 1])).toBe('10.0.0.2');
    expect(privateAddress(server, [])).toBe('10.0.0.2');
    expect(privateAddress({ ...server, private_net: [{ network: 1, ip: '' }] }, [1])).toBe('');
    // No network: no internal address, so Rancher leaves node-ip to RKE2 as before.
    const publicOnly = { public_net: server.public_net, private_net: [] };
    expect(machineAddresses(publicOnly, { usePrivateNetwork: false, networkIds: [] })).toEqual({
      ip: '203.0.113.5',
      ipv6: '2001:db8:5::1',
      privateIp: '',
    });
    // IPv6-only server in a network.
    const v6 = { public_net: { ipv4: null, ipv6: server.public_net.ipv6 }, private_net: server.private_net };
    expect(machineAddresses(v6, { usePrivateNetwork: false, networkIds: [1] })).toMatchObject({
      ip: '2001:db8:5::1',
      privateIp: '10.0.0.2',
    });
  });
});

describe('state mapping', () => {
  it('maps every Hetzner status', () => {
    expect(stateOfStatus('running')).toBe(MachineState.Running);
    expect(stateOfStatus('migrating')).toBe(MachineState.Running);
    expect(stateOfStatus('initializing')).toBe(MachineState.Starting);
    expect(stateOfStatus('starting')).toBe(MachineState.Starting);
    expect(stateOfStatus('rebuilding')).toBe(MachineState.Starting);
    expect(stateOfStatus('stopping')).toBe(MachineState.Stopping);
    expect(stateOfStatus('deleting')).toBe(MachineState.Stopping);
    expect(stateOfStatus('off')).toBe(MachineState.Stopped);
    expect(stateOfStatus('unknown')).toBe(MachineState.Error);
    expect(stateOfStatus(null)).toBe(MachineState.NotFound);
  });
});

describe('ssh keys', () => {
  it('generates ed25519 keys whose MD5 fingerprint matches ssh-keygen', () => {
    const pair = generateEd25519KeyPair('m1');
    expect(pair.publicKey).toMatch(/^ssh-ed25519 AAAA[A-Za-z0-9+/=]+ m1$/);
    expect(pair.privateKey).toContain('BEGIN OPENSSH PRIVATE KEY');
    expect(pair.fingerprint).toMatch(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
    expect(md5Fingerprint(pair.privateKey)).toBe(pair.fingerprint);
    const dir = mkdtempSync(join(tmpdir(), 'key-'));
    writeFileSync(join(dir, 'k.pub'), pair.publicKey);
    let keygen = '';
    try {
      keygen = execFileSync('ssh-keygen', ['-l', '-E', 'md5', '-f', join(dir, 'k.pub')], { encoding: 'utf8' });
    } catch {
      return; // ssh-keygen is not installed here; the self-consistency checks above still ran.
    }
    expect(keygen).toContain(`MD5:${pair.fingerprint}`);
  });

  it('writes the private key 0600 and the public key beside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'key-'));
    const path = join(dir, 'machines', 'm1', 'id_rsa');
    const pair = generateEd25519KeyPair('m1');
    await writeKeyPair(path, pair);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(`${path}.pub`, 'utf8').trim()).toBe(pair.publicKey);
  });
});
