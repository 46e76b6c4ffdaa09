// How a flag's value names a Hetzner resource (an ID, a name, an image for an architecture), whether the catalogue
// sells a server type somewhere, and how an API failure turns into the flag to fix. Reads only.
import {
  ENDPOINT_ENV,
  type HcloudClient,
  HcloudError,
  HcloudNetworkError,
  HttpStatusError,
  type Image,
  isHcloudError,
  type ServerType,
} from '../hcloud';
import { FLAG } from './flags';

type Report = (flag: string, message: string) => void;

/** A resource by ID when the value is all digits and such a resource exists, else by name. */
export async function byIdOrName<T>(
  api: { get(id: number): Promise<T | null>; getByName(name: string): Promise<T | null> },
  value: string,
): Promise<T | null> {
  if (/^\d+$/.test(value)) {
    const byId = await api.get(Number(value));
    if (byId) return byId;
  }
  return api.getByName(value);
}

/** By ID (all digits), by name for the server type's architecture, or a snapshot/backup by its description. */
export async function resolveImage(
  client: HcloudClient,
  value: string,
  type: ServerType,
  error: Report,
): Promise<Image | null> {
  const arch = type.architecture;
  let image: Image | null = null;
  if (/^\d+$/.test(value)) image = await client.images.get(Number(value));
  if (!image) {
    const byName = await client.images.list({ name: value, architecture: arch, include_deprecated: true });
    image = byName[0] ?? null;
  }
  if (!image) {
    const own = await client.images.list({ type: ['snapshot', 'backup'], architecture: arch });
    image = own.find((i) => i.description === value) ?? null;
  }
  if (!image) {
    const other = await client.images.list({ name: value, include_deprecated: true });
    if (other.length > 0) {
      error(
        FLAG.image,
        `image "${value}" exists only for ${other.map((i) => i.architecture).join('/')}, but server type ` +
          `${type.name} is ${arch}: choose an ${arch} image or a ${other[0]!.architecture} server type`,
      );
    } else {
      error(FLAG.image, `image "${value}" does not exist: use a name such as ubuntu-24.04, or a snapshot ID`);
    }
    return null;
  }
  if (image.architecture !== arch) {
    error(
      FLAG.image,
      `image ${image.name ?? image.id} is built for ${image.architecture}, but server type ${type.name} is ${arch}: ` +
        'choose a matching image or server type',
    );
    return null;
  }
  if (image.status !== 'available') {
    error(FLAG.image, `image ${image.name ?? image.id} is ${image.status}, not available: wait or choose another`);
    return null;
  }
  return image;
}

/** The same image for another architecture: system images share names across architectures, snapshots do not. */
export async function imageForArch(client: HcloudClient, ref: string, arch: 'x86' | 'arm'): Promise<Image | null> {
  if (/^\d+$/.test(ref)) {
    const byId = await client.images.get(Number(ref));
    if (byId) return byId.architecture === arch ? byId : null;
  }
  const byName = await client.images.list({ name: ref, architecture: arch, include_deprecated: true });
  return byName.find((i) => i.status === 'available') ?? null;
}

/** Whether the type can be ordered in the location now: offered there, not sold out, not deprecated. */
export function checkServerType(t: ServerType, location: string, error: Report): void {
  const sold = t.locations?.length ? t.locations : null;
  if (sold) {
    const here = sold.find((l) => l.name === location);
    if (!here) {
      error(
        FLAG.serverType,
        `server type ${t.name} is not offered in ${location}: choose a location where it is (${sold.map((l) => l.name).join(', ')}) or another type`,
      );
      return;
    }
    if (here.available === false) {
      error(
        FLAG.serverType,
        `server type ${t.name} is currently sold out in ${location}: choose another type or location`,
      );
      return;
    }
    if (here.deprecation) {
      error(
        FLAG.serverType,
        `server type ${t.name} is deprecated in ${location} (unavailable after ${here.deprecation.unavailable_after}): choose a current type`,
      );
      return;
    }
  } else if (t.prices?.length && !t.prices.some((p) => p.location === location)) {
    error(FLAG.serverType, `server type ${t.name} is not offered in ${location}: choose another type or location`);
    return;
  }
  if (t.deprecated || t.deprecation) {
    error(FLAG.serverType, `server type ${t.name} is deprecated: choose a current type`);
  }
}

/** Turns an API failure into the flag the user must fix and a message saying how. */
export function apiProblem(e: unknown, endpoint: string): [string, string] {
  if (isHcloudError(e, 'unauthorized')) {
    return [
      FLAG.apiToken,
      'the Hetzner API rejected the token (unauthorized): create a new read & write token in the Cloud Console ' +
        'and update the credential',
    ];
  }
  if (isHcloudError(e, 'forbidden', 'token_readonly')) {
    return [FLAG.apiToken, `the token may not do this (${(e as HcloudError).code}): use a read & write token`];
  }
  if (e instanceof HcloudNetworkError || e instanceof HttpStatusError) {
    return [ENDPOINT_ENV, `cannot talk to the Hetzner API at ${endpoint}: ${(e as Error).message}`];
  }
  if (e instanceof HcloudError && e.status >= 500) {
    return [ENDPOINT_ENV, `the Hetzner API failed (${e.message}); this is usually temporary: try again`];
  }
  if (e instanceof HcloudError) return [FLAG.apiToken, e.message];
  return [ENDPOINT_ENV, (e as Error).message ?? String(e)];
}
