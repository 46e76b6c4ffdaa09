import { type Image, type Location, snapshotImage } from './catalog';
import type { Labels } from './labels';
import type {
  FirewallRecord,
  NetworkRecord,
  PlacementGroupRecord,
  PrimaryIpRecord,
  ServerRecord,
  SshKeyRecord,
  VolumeRecord,
} from './records';
import { isoNow, sshFingerprint } from './util';

/** What the seed fills in: the mock's state (MockState has all of it), named here so that seed.ts needs no state.ts. */
export interface SeedTarget {
  readonly images: Map<number, Image>;
  readonly sshKeys: Map<number, SshKeyRecord>;
  readonly networks: Map<number, NetworkRecord>;
  readonly placementGroups: Map<number, PlacementGroupRecord>;
  readonly firewalls: Map<number, FirewallRecord>;
  readonly volumes: Map<number, VolumeRecord>;
  nextId(): number;
  macAddress(): string;
  locationByRef(ref: unknown): Location | undefined;
  addServer(init: { name: string; serverType?: string; location?: string; labels?: Labels }): ServerRecord;
  createPrimaryIp(type: 'ipv4' | 'ipv6', locationId: number, opts?: Partial<PrimaryIpRecord>): PrimaryIpRecord;
}

// A deterministic, valid ed25519 public key blob (type string + 32 key bytes) so the fingerprint is real MD5.
function demoPublicKey(): string {
  const type = Buffer.from('ssh-ed25519');
  const key = Buffer.alloc(32, 7);
  const len = (n: number) => Buffer.from([0, 0, 0, n]);
  const blob = Buffer.concat([len(type.length), type, len(key.length), key]);
  return `ssh-ed25519 ${blob.toString('base64')} admin@example.com`;
}

/** Pre-existing project resources, so lists are not empty and clients meet realistic neighbours. */
export function seedUserResources(state: SeedTarget): void {
  const x86 = [...state.images.values()].find((i) => i.name === 'ubuntu-24.04' && i.architecture === 'x86')!;
  const snap1 = snapshotImage(state.nextId(), {
    description: 'rancher-node-base x86',
    labels: { role: 'node-base', arch: 'x86' },
    architecture: 'x86',
    from: { id: 1, name: 'builder' },
  });
  const snap2 = snapshotImage(state.nextId(), {
    description: 'rancher-node-base arm',
    labels: { role: 'node-base', arch: 'arm' },
    architecture: 'arm',
  });
  state.images.set(snap1.id, snap1);
  state.images.set(snap2.id, snap2);

  const publicKey = demoPublicKey();
  const key = {
    id: state.nextId(),
    name: 'admin',
    fingerprint: sshFingerprint(publicKey)!,
    public_key: publicKey,
    labels: { owner: 'ops' },
    created: isoNow(),
  };
  state.sshKeys.set(key.id, key);

  const server = state.addServer({
    name: 'existing-web-1',
    serverType: 'cx23',
    location: 'fsn1',
    labels: { env: 'demo', role: 'web' },
  });
  server.imageId = x86.id;

  const net = {
    id: state.nextId(),
    name: 'private',
    ip_range: '10.0.0.0/16',
    subnets: [
      {
        type: 'cloud' as const,
        ip_range: '10.0.1.0/24',
        network_zone: 'eu-central',
        gateway: '10.0.0.1',
        vswitch_id: null,
      },
    ],
    routes: [],
    servers: [server.id],
    load_balancers: [],
    labels: { env: 'demo' },
    protection: { delete: false },
    created: isoNow(),
    expose_routes_to_vswitch: false,
  };
  state.networks.set(net.id, net);
  server.privateNet.push({ network: net.id, ip: '10.0.1.2', alias_ips: [], mac_address: state.macAddress() });

  const pg = {
    id: state.nextId(),
    name: 'spread-demo',
    type: 'spread' as const,
    servers: [server.id],
    labels: {},
    created: isoNow(),
  };
  state.placementGroups.set(pg.id, pg);
  server.placementGroupId = pg.id;

  const fw = {
    id: state.nextId(),
    name: 'default-web',
    labels: { env: 'demo' },
    created: isoNow(),
    rules: [
      {
        direction: 'in' as const,
        protocol: 'tcp' as const,
        port: '22',
        source_ips: ['0.0.0.0/0', '::/0'],
        destination_ips: [],
        description: 'ssh',
      },
      {
        direction: 'in' as const,
        protocol: 'tcp' as const,
        port: '443',
        source_ips: ['0.0.0.0/0', '::/0'],
        destination_ips: [],
        description: 'https',
      },
    ],
    applied_to: [{ type: 'server' as const, server: { id: server.id } }],
  };
  state.firewalls.set(fw.id, fw);
  server.firewalls.push({ id: fw.id, status: 'applied' });

  const fsn1 = state.locationByRef('fsn1')!;
  const nbg1 = state.locationByRef('nbg1')!;
  for (const [name, size, loc, attached] of [
    ['data-1', 10, fsn1.id, server.id],
    ['backup-1', 50, nbg1.id, null],
  ] as const) {
    const id = state.nextId();
    state.volumes.set(id, {
      id,
      name,
      size,
      server: attached,
      locationId: loc,
      linux_device: `/dev/disk/by-id/scsi-0HC_Volume_${id}`,
      protection: { delete: false },
      labels: {},
      status: 'available',
      format: 'ext4',
      created: isoNow(),
    });
    if (attached !== null) server.volumes.push(id);
  }

  state.createPrimaryIp('ipv4', fsn1.id, { name: 'reserved-ipv4', labels: { env: 'demo' } });
}
