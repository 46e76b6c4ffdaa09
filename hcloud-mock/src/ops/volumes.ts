// Volumes: create (in a location or attached to a server), rename/relabel, attach, detach, resize, protection and
// delete. A volume and the server it is attached to live in one location.
import type { Action } from '../actions';
import { validateLabels } from '../labels';
import type { ServerRecord, VolumeRecord } from '../records';
import type { MockState } from '../state';
import { ApiError, byIdOr404, invalidInput, isoNow, lockedError, notFound } from '../util';

const VOLUME_NAME = /^[a-zA-Z0-9]([a-zA-Z0-9._-]{0,62}[a-zA-Z0-9])?$/;
const MIN_GB = 10;
const MAX_GB = 10240;
/** Volumes one server can have attached at once. */
export const VOLUMES_PER_SERVER = 16;

export function getVolume(state: MockState, id: number): VolumeRecord {
  return byIdOr404(state.volumes, id, 'volume');
}

function volumeName(state: MockState, value: unknown, selfId?: number): string {
  if (typeof value !== 'string' || value === '') throw invalidInput('name', 'is required');
  if (!VOLUME_NAME.test(value)) {
    throw invalidInput(
      'name',
      'must be at most 64 letters, digits, dots, dashes or underscores, starting and ending with a letter or digit',
    );
  }
  for (const v of state.volumes.values()) {
    if (v.name === value && v.id !== selfId) {
      throw new ApiError(409, 'uniqueness_error', 'volume with the same name already exists', {
        fields: [{ name: 'name' }],
      });
    }
  }
  return value;
}

function sizeGb(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidInput('size', 'must be an integer (GB)');
  if (value < MIN_GB || value > MAX_GB) throw invalidInput('size', `must be between ${MIN_GB} and ${MAX_GB} GB`);
  return value;
}

function optionalBool(body: Record<string, unknown>, name: string): boolean | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw invalidInput(name, 'must be a boolean');
  return v;
}

function volumeLock(id: number): string {
  return `volume:${id}`;
}

/** The server a volume may be attached to now: it exists, is free of actions, in the volume's location, not full. */
function attachTarget(state: MockState, v: { locationId: number }, ref: unknown): ServerRecord {
  if (ref === undefined || ref === null) throw invalidInput('server', 'is required');
  const s = state.servers.get(Number(ref));
  if (!s) throw notFound(`server with ID ${String(ref)}`);
  if (s.locationId !== v.locationId) {
    throw invalidInput(
      'server',
      `server and volume must be in the same location (server ${s.id} is in ${state.location(s.locationId).name}, the volume in ${state.location(v.locationId).name})`,
    );
  }
  if (state.actions.isLocked(`server:${s.id}`)) throw lockedError('server');
  if (s.volumes.length >= VOLUMES_PER_SERVER) {
    throw new ApiError(403, 'resource_limit_exceeded', `server ${s.id} already has ${VOLUMES_PER_SERVER} volumes`, {
      limits: [{ name: 'volumes_per_server' }],
    });
  }
  return s;
}

function startAttach(state: MockState, v: VolumeRecord, s: ServerRecord, after?: Action): Action {
  // Attached at once, so a second attach or a delete sees it; a failed action undoes it.
  v.server = s.id;
  s.volumes.push(v.id);
  return state.actions.start(
    'attach_volume',
    [
      { id: v.id, type: 'volume' },
      { id: s.id, type: 'server' },
    ],
    {
      locks: [volumeLock(v.id), `server:${s.id}`],
      after,
      onError: () => detachNow(state, v.id, s.id),
    },
  );
}

function detachNow(state: MockState, volumeId: number, serverId: number): void {
  const v = state.volumes.get(volumeId);
  if (v?.server === serverId) v.server = null;
  const s = state.servers.get(serverId);
  if (s) s.volumes = s.volumes.filter((x) => x !== volumeId);
}

export function createVolume(state: MockState, body: Record<string, unknown>) {
  const name = volumeName(state, body.name);
  const size = sizeGb(body.size);
  const labels = validateLabels(body.labels);
  const automount = optionalBool(body, 'automount');
  let format: string | null = null;
  if (body.format !== undefined && body.format !== null) {
    if (body.format !== 'ext4' && body.format !== 'xfs') throw invalidInput('format', "must be 'ext4' or 'xfs'");
    format = body.format;
  }
  const hasServer = body.server !== undefined && body.server !== null;
  const hasLocation = body.location !== undefined && body.location !== null;
  if (!hasServer && !hasLocation) throw invalidInput('location', 'a location or a server is required');
  if (automount && !hasServer) throw invalidInput('automount', 'needs a server to mount the volume on');
  let locationId: number;
  if (hasLocation) {
    const loc = state.locationByRef(body.location);
    if (!loc) throw notFound(`location ${String(body.location)}`);
    locationId = loc.id;
  } else {
    const s = state.servers.get(Number(body.server));
    if (!s) throw notFound(`server with ID ${String(body.server)}`);
    locationId = s.locationId;
  }
  const server = hasServer ? attachTarget(state, { locationId }, body.server) : null;

  const id = state.nextId();
  const v: VolumeRecord = {
    id,
    name,
    size,
    server: null,
    locationId,
    linux_device: `/dev/disk/by-id/scsi-0HC_Volume_${id}`,
    protection: { delete: false },
    labels,
    status: 'creating',
    format,
    created: isoNow(),
  };
  state.volumes.set(id, v);
  const action = state.actions.start('create_volume', [{ id, type: 'volume' }], {
    locks: [volumeLock(id)],
    onSuccess: () => {
      const cur = state.volumes.get(id);
      if (cur) cur.status = 'available';
    },
    onError: () => state.volumes.delete(id),
  });
  const next = server ? [startAttach(state, v, server, action)] : [];
  return { volume: state.volumeJson(v), action, next_actions: next };
}

export function updateVolume(state: MockState, id: number, body: Record<string, unknown>) {
  const v = getVolume(state, id);
  if (body.name !== undefined) v.name = volumeName(state, body.name, id);
  if (body.labels !== undefined) v.labels = validateLabels(body.labels);
  return { volume: state.volumeJson(v) };
}

export function deleteVolume(state: MockState, id: number): void {
  const v = getVolume(state, id);
  if (v.protection.delete) throw new ApiError(423, 'protected', `volume ${id} is delete protected`);
  if (state.actions.isLocked(volumeLock(id))) throw lockedError('volume');
  if (v.server !== null) {
    throw new ApiError(
      422,
      'volume_already_attached',
      `volume ${id} is attached to server ${v.server}: detach it first`,
    );
  }
  state.volumes.delete(id);
}

/** A volume free of running actions, for a new one. */
function idleVolume(state: MockState, id: number): VolumeRecord {
  const v = getVolume(state, id);
  if (state.actions.isLocked(volumeLock(id))) throw lockedError('volume');
  return v;
}

export function volumeAction(state: MockState, id: number, name: string, body: Record<string, unknown>) {
  switch (name) {
    case 'attach': {
      const v = idleVolume(state, id);
      if (v.server !== null) {
        throw new ApiError(
          422,
          'volume_already_attached',
          `volume ${id} is already attached to server ${v.server}: detach it first`,
        );
      }
      optionalBool(body, 'automount');
      return { action: startAttach(state, v, attachTarget(state, v, body.server)) };
    }
    case 'detach': {
      const v = idleVolume(state, id);
      const serverId = v.server;
      if (serverId === null) throw invalidInput('server', `volume ${id} is not attached to a server`);
      if (state.actions.isLocked(`server:${serverId}`)) throw lockedError('server');
      const action = state.actions.start(
        'detach_volume',
        [
          { id, type: 'volume' },
          { id: serverId, type: 'server' },
        ],
        { locks: [volumeLock(id), `server:${serverId}`], onSuccess: () => detachNow(state, id, serverId) },
      );
      return { action };
    }
    case 'resize': {
      const v = idleVolume(state, id);
      const size = sizeGb(body.size);
      if (size < v.size) throw invalidInput('size', `volumes can only grow (${v.size} GB now)`);
      const action = state.actions.start('resize_volume', [{ id, type: 'volume' }], {
        locks: [volumeLock(id)],
        onSuccess: () => {
          v.size = size;
        },
      });
      return { action };
    }
    case 'change_protection': {
      const v = idleVolume(state, id);
      if (typeof body.delete !== 'boolean') throw invalidInput('delete', 'must be a boolean');
      const del = body.delete;
      const action = state.actions.start('change_protection', [{ id, type: 'volume' }], {
        locks: [volumeLock(id)],
        onSuccess: () => {
          v.protection.delete = del;
        },
      });
      return { action };
    }
    default:
      throw notFound(`volume action ${name}`);
  }
}

export const VOLUME_ACTIONS = ['attach', 'detach', 'resize', 'change_protection'];
