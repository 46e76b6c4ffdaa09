// PreCreateCheck: resolves every name the flags mention to the resource Create will use, and reports each problem
// with the flag at fault and the fix. One context passes through one ordered list of steps (PLAN_STEPS) that all
// report into one problems collector. Reads only; nothing is created here.
import { foreignFirewallMessage, isClusterFirewall } from '../firewall';
import {
  ENDPOINT_ENV,
  EndpointError,
  type Firewall,
  type HcloudClient,
  type Image,
  type Network,
  type PlacementGroup,
  type ServerType,
  type SshKey,
} from '../hcloud';
import { type Attachments, NO_ATTACHMENTS, planAttachments } from './attachments';
import {
  type Candidate,
  candidatesOf,
  type PlanLocation,
  parseChoices,
  pinMessage,
  type VettedPairs,
  vetPairs,
} from './fallback';
import { FLAG, type FlagSettings } from './flags';
import { belongsTo, parseUserLabels } from './labels';
import { checkNetworkingSettings } from './networking';
import { checkNetworkPins, type NetworkAttachment, type NetworkEntry, parseNetworkEntries } from './networks';
import { checkSpreadSettings, SPREAD_GROUP_LIMIT } from './placement';
import { apiProblem, byIdOrName, checkServerType, resolveImage } from './resolve';
import { resolveUserData, UserDataError } from './user-data';
import { checkSettings, type Problem, Problems } from './validate';

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
  /** The (location, type) pairs Create tries, in order; the first is the plan's own. */
  candidates: Candidate[];
  /** Existing primary IPs and volumes the server gets at create. */
  attachments: Attachments;
}

/** What the steps know so far. A lookup left undefined failed (and was reported); null means "does not exist". */
interface PlanContext {
  readonly settings: FlagSettings;
  readonly machineName: string;
  readonly problems: Problems;
  readonly makeClient: () => HcloudClient;
  client: HcloudClient | null;
  userData: string;
  attachments: Attachments;
  /** The pair planned in full: the only one, or the first workable one of the lists. */
  serverTypeName: string;
  locationName: string;
  /** With lists: the pairs the catalogue allows, in order; null for a single type and location. */
  pairs: VettedPairs | null;
  /** With lists, the catalogue could not be read: the first pair is looked up to name the cause, never used. */
  catalogueError: unknown;
  networkEntries: NetworkEntry[];
  serverType?: ServerType | null;
  location?: PlanLocation | null;
  image?: Image | null;
  networks: Array<Network | null | undefined>;
  firewalls: Array<Firewall | null | undefined>;
  placementGroup?: PlacementGroup | null;
  existingKey?: SshKey | null;
  namedFirewall?: Firewall | null;
  networkIds: number[];
  firewallIds: number[];
  networkAttachments: NetworkAttachment[];
  candidates: Candidate[];
}

/** A step returns STOP when nothing after it can be checked meaningfully, else GO. */
const STOP = 'stop';
const GO = 'go';
type Next = typeof STOP | typeof GO;
type PlanStep = (ctx: PlanContext) => Promise<Next> | Next;

/** PreCreateCheck in order; each step reports what it finds and may end the planning. */
const PLAN_STEPS: readonly PlanStep[] = [
  checkFlags, // no API: syntax, combinations, user data
  connect, // a client for the token and endpoint, or stop
  findAttachments, // primary IPs and volumes, which pin the location
  choosePair, // type/location lists against the catalogue: the pair to plan
  lookUpServerType, // the pair's type; its failure stops (token, endpoint)
  lookUpResources, // location, image, networks, firewalls, placement group, SSH key
  checkResources, // each of them exists and fits
  checkPinnedNetworks, // chosen subnets and private IPs
  vetCandidates, // the pairs Create tries, once the plan is sound
];

export async function planCreate(input: {
  settings: FlagSettings;
  machineName: string;
  client: () => HcloudClient;
}): Promise<{ plan: CreatePlan | null; problems: Problem[] }> {
  const s = input.settings;
  const types = parseChoices(s.serverType);
  const locations = parseChoices(s.location);
  const ctx: PlanContext = {
    settings: s,
    machineName: input.machineName,
    problems: new Problems(),
    makeClient: input.client,
    client: null,
    userData: '',
    attachments: NO_ATTACHMENTS,
    serverTypeName: types[0] ?? s.serverType,
    locationName: locations[0] ?? s.location,
    pairs: null,
    catalogueError: null,
    networkEntries: parseNetworkEntries(s.networks).entries,
    networks: [],
    firewalls: [],
    networkIds: [],
    firewallIds: [],
    networkAttachments: [],
    candidates: [],
  };
  for (const step of PLAN_STEPS) {
    if ((await step(ctx)) === STOP) break;
  }
  return { plan: finishedPlan(ctx), problems: ctx.problems.list };
}

function finishedPlan(ctx: PlanContext): CreatePlan | null {
  const { location, serverType, image } = ctx;
  if (ctx.problems.hasErrors() || !location || !serverType || !image || ctx.candidates.length === 0) return null;
  return {
    location,
    serverType,
    image,
    networkIds: ctx.networkIds,
    networkAttachments: ctx.networkAttachments,
    firewallIds: ctx.firewallIds,
    placementGroup: ctx.placementGroup ?? null,
    existingKey: ctx.existingKey ?? null,
    userData: ctx.userData,
    userLabels: parseUserLabels(ctx.settings.serverLabels).labels,
    candidates: ctx.candidates,
    attachments: ctx.attachments,
  };
}

// ---- the steps, in the order PLAN_STEPS runs them ------------------------------------------------------------------

/** The rules that need no API: flag syntax and combinations, spread placement, networking extras, user data. */
function checkFlags(ctx: PlanContext): Next {
  const { settings: s, machineName, problems } = ctx;
  checkSpreadSettings(s, problems);
  checkSettings(s, machineName, problems);
  checkNetworkingSettings(s, machineName, problems);
  try {
    ctx.userData = resolveUserData(s.userData, s.additionalUserData).content;
  } catch (e) {
    if (!(e instanceof UserDataError)) throw e;
    problems.error(e.flag, e.message);
  }
  return GO;
}

/** A client for the token and endpoint; without one (checkFlags reported a missing token) nothing else can run. */
function connect(ctx: PlanContext): Next {
  if (!ctx.settings.apiToken) return STOP;
  try {
    ctx.client = ctx.makeClient();
  } catch (e) {
    ctx.problems.error(e instanceof EndpointError ? ENDPOINT_ENV : FLAG.apiToken, (e as Error).message);
    return STOP;
  }
  return GO;
}

/** Existing primary IPs and volumes: usable by this server, and all in one location, which the server must take. */
async function findAttachments(ctx: PlanContext): Promise<Next> {
  const s = ctx.settings;
  if (!s.primaryIpv4 && !s.primaryIpv6 && s.volumes.length === 0) return GO;
  try {
    ctx.attachments = await planAttachments(ctx.client!, s, ctx.machineName, ctx.problems);
  } catch (e) {
    // Never plan on without them: Create would make a server lacking the address or volume the user asked for.
    ctx.problems.error(
      s.volumes.length > 0 && !s.primaryIpv4 && !s.primaryIpv6 ? FLAG.volumes : FLAG.primaryIpv4,
      `looking up the primary IPs and volumes failed: ${(e as Error).message}`,
    );
  }
  return GO;
}

/** With a list of types or locations, the catalogue vets every pair and the first one not sold out is planned. */
async function choosePair(ctx: PlanContext): Promise<Next> {
  const s = ctx.settings;
  if (parseChoices(s.serverType).length <= 1 && parseChoices(s.location).length <= 1) return GO;
  const r = await vetPairs({
    client: ctx.client!,
    serverType: s.serverType,
    location: s.location,
    pinned: ctx.attachments.pinnedLocation,
    problems: ctx.problems,
  });
  if (!r) return STOP;
  if ('catalogueError' in r) {
    // Token, endpoint or network trouble: looking up the first pair reports it against the right flag.
    ctx.catalogueError = r.catalogueError;
    return GO;
  }
  ctx.pairs = r;
  ctx.serverTypeName = r.first.type.name;
  ctx.locationName = r.first.location.name;
  return GO;
}

/** The first request of the pair's lookups doubles as the token check: when it fails, every later one would too. */
async function lookUpServerType(ctx: PlanContext): Promise<Next> {
  try {
    ctx.serverType = await ctx.client!.serverTypes.getByName(ctx.serverTypeName);
  } catch (e) {
    ctx.problems.error(...apiProblem(e, ctx.settings.apiEndpoint));
    return STOP;
  }
  return GO;
}

/**
 * Everything else the flags name, at once. The server type's per-location entries vouch for the location, so the
 * locations endpoint is asked only when they cannot (an unknown type, a location the type does not list) or when a
 * network needs the location's zone.
 */
async function lookUpResources(ctx: PlanContext): Promise<Next> {
  const { settings: s, serverType } = ctx;
  const client = ctx.client!;
  const lookup = <T>(flag: string, what: string, fn: () => Promise<T>) => lookUp(ctx, flag, what, fn);
  const listed = serverType?.locations?.find((l) => l.name === ctx.locationName);
  const needLocation = !listed || s.networks.length > 0;
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
      ? lookup(FLAG.location, `location ${ctx.locationName}`, () => client.locations.getByName(ctx.locationName))
      : Promise.resolve<PlanLocation>({ id: listed!.id, name: listed!.name }),
    serverType
      ? lookup(FLAG.image, `image ${s.image}`, () => resolveImage(client, s.image, serverType, ctx.problems.error))
      : Promise.resolve(null),
    Promise.all(
      ctx.networkEntries.map(({ ref: n }) =>
        lookup(FLAG.networks, `network ${n}`, () => byIdOrName(client.networks, n)),
      ),
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
  ctx.location = location;
  ctx.image = image;
  ctx.networks = networks;
  ctx.firewalls = firewalls;
  ctx.placementGroup = placementGroup;
  ctx.existingKey = existingKey;
  ctx.namedFirewall = await namedFirewallLookup;
  return GO;
}

/** Each looked-up resource exists and fits: offered here, in the network zone, room in the group, ours to use. */
function checkResources(ctx: PlanContext): Next {
  const { settings: s, location, serverType, image, placementGroup } = ctx;
  const { error, warn } = ctx.problems;
  if (location === null) {
    error(FLAG.location, `location "${ctx.locationName}" does not exist: use one of fsn1, nbg1, hel1, ash, hil or sin`);
  }
  if (serverType === null) {
    error(
      FLAG.serverType,
      `server type "${ctx.serverTypeName}" does not exist: pick one from the Hetzner Cloud Console, e.g. cx23, cpx31 or cax11`,
    );
  } else if (serverType && location) {
    checkServerType(serverType, location.name, error);
  }
  const pinned = ctx.attachments.pinnedLocation;
  if (location && pinned && location.name !== pinned) error(FLAG.location, pinMessage(pinned, [location.name]));
  if (image?.deprecated) {
    warn(FLAG.image, `image ${image.name ?? image.id} is deprecated since ${image.deprecated}; prefer a newer one`);
  }

  ctx.networks.forEach((n, i) => {
    if (n === null) {
      error(
        FLAG.networks,
        `network "${ctx.networkEntries[i]!.ref}" does not exist in this project: check its name or ID`,
      );
    } else if (n) {
      ctx.networkIds.push(n.id);
      if (location?.network_zone && !n.subnets.some((sub) => sub.network_zone === location.network_zone)) {
        error(
          FLAG.networks,
          `network "${n.name}" has no subnet in network zone ${location.network_zone} of location ` +
            `${location.name}: add a subnet there or choose a location in the network's zone`,
        );
      }
    }
  });
  ctx.firewalls.forEach((f, i) => {
    if (f === null) {
      error(FLAG.firewalls, `firewall "${s.firewalls[i]}" does not exist in this project: check its name or ID`);
    } else if (f) {
      ctx.firewallIds.push(f.id);
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
  if (ctx.existingKey === null && s.existingSshKey) {
    error(FLAG.existingSshKey, `SSH key "${s.existingSshKey}" does not exist in this project: check its name or ID`);
  }
  if (ctx.namedFirewall && !isClusterFirewall(ctx.namedFirewall.labels, s.clusterId)) {
    error(FLAG.firewallName, foreignFirewallMessage(ctx.namedFirewall, s.clusterId, true));
  }
  return GO;
}

/** Networks with a chosen subnet or IP: inside the network, in the zone, and the IP free. */
async function checkPinnedNetworks(ctx: PlanContext): Promise<Next> {
  ctx.networkAttachments =
    (await lookUp(ctx, FLAG.networks, 'the private IPs in use', () =>
      checkNetworkPins({
        client: ctx.client!,
        entries: ctx.networkEntries,
        networks: ctx.networks,
        networkZone: ctx.location?.network_zone,
        // A leftover of this machine carries its labels and this cluster's; the same name in another cluster is not ours.
        ours: (srv) => srv.name === ctx.machineName && belongsTo(srv.labels, ctx.machineName, ctx.settings.clusterId),
        error: ctx.problems.error,
      }),
    )) ?? [];
  return GO;
}

/**
 * The pairs Create may try, once the first one planned without errors: with lists, each other pair must be in the
 * networks' zone and have the image for its type's architecture (see candidatesOf).
 */
async function vetCandidates(ctx: PlanContext): Promise<Next> {
  const { location, serverType, image, problems } = ctx;
  if (problems.hasErrors() || !location || !serverType || !image) return GO;
  if (ctx.catalogueError) {
    // The first pair looked fine after all (the catalogue failed in passing), but the others went unchecked.
    problems.error(...apiProblem(ctx.catalogueError, ctx.settings.apiEndpoint));
    return GO;
  }
  ctx.candidates = ctx.pairs
    ? await candidatesOf(ctx.pairs, {
        client: ctx.client!,
        planned: { location, serverType, image },
        imageRef: ctx.settings.image,
        needsZone: ctx.networkIds.length > 0,
        problems,
      })
    : [{ location, serverType, image }];
  return GO;
}

// ---- helpers ---------------------------------------------------------------------------------------------------------

/** Runs one lookup; a failure is reported against the flag (or the token/endpoint when they are at fault). */
async function lookUp<T>(ctx: PlanContext, flag: string, what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    const [f, m] = apiProblem(e, ctx.settings.apiEndpoint);
    ctx.problems.error(f === ENDPOINT_ENV || f === FLAG.apiToken ? f : flag, `looking up ${what}: ${m}`);
    return undefined;
  }
}
