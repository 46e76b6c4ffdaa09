// PreCreateCheck's API side: resolves every name the flags mention to the resource Create will use, and reports
// each problem with the flag at fault and the fix. Reads only; nothing is created here.
import { foreignFirewallMessage, isClusterFirewall } from '../firewall';
import {
  ENDPOINT_ENV,
  EndpointError,
  type HcloudClient,
  HcloudError,
  HcloudNetworkError,
  HttpStatusError,
  type Image,
  isHcloudError,
  type Location,
  type PlacementGroup,
  type ServerType,
  type SshKey,
} from '../hcloud';
import { FLAG, type FlagSettings } from './flags';
import { belongsTo, parseUserLabels } from './labels';
import { checkNetworkingSettings } from './networking';
import { checkNetworkPins, type NetworkAttachment, parseNetworkEntries } from './networks';
import { SPREAD_GROUP_LIMIT } from './placement';
import { resolveUserData, UserDataError } from './user-data';
import { checkSettings, type Problem } from './validate';

/** A location as far as Create needs it; the zone is known only when it was looked up (for networks). */
export type PlanLocation = Pick<Location, 'id' | 'name'> & { network_zone?: string };

/** Everything Create needs, resolved to IDs. */
export interface CreatePlan {
  location: PlanLocation;
  serverType: ServerType;
  image: Image;
  networkIds: number[];
  /** Networks with a chosen subnet or IP (also in networkIds): attached after create, not in POST /servers. */
  networkAttachments: NetworkAttachment[];
  firewallIds: number[];
  placementGroup: PlacementGroup | null;
  existingKey: SshKey | null;
  /** Merged user data ('' when none); never logged. */
  userData: string;
  userLabels: Record<string, string>;
}

export async function planCreate(input: {
  settings: FlagSettings;
  machineName: string;
  client: () => HcloudClient;
}): Promise<{ plan: CreatePlan | null; problems: Problem[] }> {
  const s = input.settings;
  const problems = checkSettings(s, input.machineName);
  problems.push(...checkNetworkingSettings(s, input.machineName));
  const error = (flag: string, message: string) => problems.push({ severity: 'error', flag, message });
  const warn = (flag: string, message: string) => problems.push({ severity: 'warning', flag, message });

  let userData = '';
  try {
    userData = resolveUserData(s.userData, s.additionalUserData).content;
  } catch (e) {
    if (!(e instanceof UserDataError)) throw e;
    error(e.flag, e.message);
  }
  if (!s.apiToken) return { plan: null, problems };

  let client: HcloudClient;
  try {
    client = input.client();
  } catch (e) {
    error(e instanceof EndpointError ? ENDPOINT_ENV : FLAG.apiToken, (e as Error).message);
    return { plan: null, problems };
  }

  const lookup = async <T>(flag: string, what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (e) {
      const [f, m] = apiProblem(e, s.apiEndpoint);
      error(f === ENDPOINT_ENV || f === FLAG.apiToken ? f : flag, `looking up ${what}: ${m}`);
      return undefined;
    }
  };

  // The first request doubles as the token check; its failure makes every later lookup meaningless. The server
  // type's per-location entries also vouch for the location, so the locations endpoint is asked only when they
  // cannot (an unknown type, a location the type does not list) or when a network needs the location's zone.
  let serverType: ServerType | null;
  try {
    serverType = await client.serverTypes.getByName(s.serverType);
  } catch (e) {
    error(...apiProblem(e, s.apiEndpoint));
    return { plan: null, problems };
  }
  const listed = serverType?.locations?.find((l) => l.name === s.location);
  const needLocation = !listed || s.networks.length > 0;

  const netEntries = parseNetworkEntries(s.networks).entries;
  // The shared firewall under a chosen name must be this cluster's own (or not exist yet): never someone else's.
  const clusterFirewallName = s.createFirewall && s.clusterId ? s.firewallName.trim() : '';
  const namedFirewallLookup = clusterFirewallName
    ? lookup(FLAG.firewallName, `firewall ${clusterFirewallName}`, () =>
        client.firewalls.getByName(clusterFirewallName),
      )
    : Promise.resolve(null);
  // The machine name is not looked up here: Create posts the server at once, and only a uniqueness_error makes it
  // look at the server holding the name (ours from an earlier attempt: replaced; anyone else's: refused).
  const [location, image, networks, firewalls, placementGroup, existingKey] = await Promise.all([
    needLocation
      ? lookup(FLAG.location, `location ${s.location}`, () => client.locations.getByName(s.location))
      : Promise.resolve<PlanLocation>({ id: listed!.id, name: listed!.name }),
    serverType
      ? lookup(FLAG.image, `image ${s.image}`, () => resolveImage(client, s.image, serverType, error))
      : Promise.resolve(null),
    Promise.all(
      netEntries.map(({ ref: n }) => lookup(FLAG.networks, `network ${n}`, () => byIdOrName(client.networks, n))),
    ),
    Promise.all(s.firewalls.map((f) => lookup(FLAG.firewalls, `firewall ${f}`, () => byIdOrName(client.firewalls, f)))),
    s.placementGroup
      ? lookup(FLAG.placementGroup, `placement group ${s.placementGroup}`, () =>
          byIdOrName(client.placementGroups, s.placementGroup),
        )
      : Promise.resolve(null),
    s.existingSshKey
      ? lookup(FLAG.existingSshKey, `SSH key ${s.existingSshKey}`, () => byIdOrName(client.sshKeys, s.existingSshKey))
      : Promise.resolve(null),
  ]);
  const namedFirewall = await namedFirewallLookup;

  if (location === null) {
    error(FLAG.location, `location "${s.location}" does not exist: use one of fsn1, nbg1, hel1, ash, hil or sin`);
  }
  if (serverType === null) {
    error(
      FLAG.serverType,
      `server type "${s.serverType}" does not exist: pick one from the Hetzner Cloud Console, e.g. cx23, cpx31 or cax11`,
    );
  } else if (serverType && location) {
    checkServerType(serverType, location, error);
  }
  if (image?.deprecated) {
    warn(FLAG.image, `image ${image.name ?? image.id} is deprecated since ${image.deprecated}; prefer a newer one`);
  }

  const networkIds: number[] = [];
  networks.forEach((n, i) => {
    if (n === null) {
      error(FLAG.networks, `network "${netEntries[i]!.ref}" does not exist in this project: check its name or ID`);
    } else if (n) {
      networkIds.push(n.id);
      if (location?.network_zone && !n.subnets.some((sub) => sub.network_zone === location.network_zone)) {
        error(
          FLAG.networks,
          `network "${n.name}" has no subnet in network zone ${location.network_zone} of location ` +
            `${location.name}: add a subnet there or choose a location in the network's zone`,
        );
      }
    }
  });
  const firewallIds: number[] = [];
  firewalls.forEach((f, i) => {
    if (f === null) {
      error(FLAG.firewalls, `firewall "${s.firewalls[i]}" does not exist in this project: check its name or ID`);
    } else if (f) {
      firewallIds.push(f.id);
    }
  });
  if (placementGroup === null && s.placementGroup) {
    error(
      FLAG.placementGroup,
      `placement group "${s.placementGroup}" does not exist in this project: create a spread group or fix the name`,
    );
  } else if (placementGroup && placementGroup.servers.length >= SPREAD_GROUP_LIMIT) {
    error(
      FLAG.placementGroup,
      `placement group "${placementGroup.name}" already holds ${placementGroup.servers.length} servers, ` +
        `Hetzner's maximum for a spread group: use another group`,
    );
  }
  if (existingKey === null && s.existingSshKey) {
    error(FLAG.existingSshKey, `SSH key "${s.existingSshKey}" does not exist in this project: check its name or ID`);
  }
  if (namedFirewall && !isClusterFirewall(namedFirewall.labels, s.clusterId)) {
    error(FLAG.firewallName, foreignFirewallMessage(namedFirewall, s.clusterId, true));
  }

  const networkAttachments =
    (await lookup(FLAG.networks, 'the private IPs in use', () =>
      checkNetworkPins({
        client,
        entries: netEntries,
        networks,
        networkZone: location?.network_zone,
        // A leftover of this machine carries its labels and this cluster's; the same name in another cluster is not ours.
        ours: (srv) => srv.name === input.machineName && belongsTo(srv.labels, input.machineName, s.clusterId),
        error,
      }),
    )) ?? [];

  const hasErrors = problems.some((p) => p.severity === 'error');
  if (hasErrors || !location || !serverType || !image) return { plan: null, problems };
  return {
    plan: {
      location,
      serverType,
      image,
      networkIds,
      networkAttachments,
      firewallIds,
      placementGroup: placementGroup ?? null,
      existingKey: existingKey ?? null,
      userData,
      userLabels: parseUserLabels(s.serverLabels).labels,
    },
    problems,
  };
}

function checkServerType(t: ServerType, loc: PlanLocation, error: (flag: string, message: string) => void): void {
  const sold = t.locations?.length ? t.locations : null;
  if (sold) {
    const here = sold.find((l) => l.name === loc.name);
    if (!here) {
      error(
        FLAG.serverType,
        `server type ${t.name} is not offered in ${loc.name}: choose a location where it is (${sold.map((l) => l.name).join(', ')}) or another type`,
      );
      return;
    }
    if (here.available === false) {
      error(
        FLAG.serverType,
        `server type ${t.name} is currently sold out in ${loc.name}: choose another type or location`,
      );
      return;
    }
    if (here.deprecation) {
      error(
        FLAG.serverType,
        `server type ${t.name} is deprecated in ${loc.name} (unavailable after ${here.deprecation.unavailable_after}): choose a current type`,
      );
      return;
    }
  } else if (t.prices?.length && !t.prices.some((p) => p.location === loc.name)) {
    error(FLAG.serverType, `server type ${t.name} is not offered in ${loc.name}: choose another type or location`);
    return;
  }
  if (t.deprecated || t.deprecation) {
    error(FLAG.serverType, `server type ${t.name} is deprecated: choose a current type`);
  }
}

/** By ID (all digits), by name for the server type's architecture, or a snapshot/backup by its description. */
async function resolveImage(
  client: HcloudClient,
  value: string,
  type: ServerType,
  error: (flag: string, message: string) => void,
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

/** Turns an API failure into the flag the user must fix and a message saying how. */
function apiProblem(e: unknown, endpoint: string): [string, string] {
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
