// Capacity fallback: `hetzner-server-location` and `hetzner-server-type` take ordered, comma-separated lists (they
// stay string flags, since Rancher's schema for them is a string and existing configs send one value). Create tries
// the (location, type) pairs in order — every type in the first location, then every type in the next — and moves
// on when the API answers that a type is unavailable or unsupported there, or that placement failed. PreCreateCheck
// checks every pair it may try; pairs the catalogue says can never work are dropped with a warning up front.
import type { HcloudClient, Image, Location, ServerCreateRequest, ServerType } from '../hcloud';
import { isHcloudError } from '../hcloud';
import type { Logger } from '../log';
import { FLAG } from './flags';
import type { SpreadPlacement } from './placement';
import { imageForArch } from './resolve';
import type { Problems } from './validate';

/** A location as far as Create needs it; the zone is known only when it was looked up (for networks). */
export type PlanLocation = Pick<Location, 'id' | 'name'> & { network_zone?: string };

/** One (location, server type) pair Create may try, with the image of the type's architecture. */
export interface Candidate {
  location: PlanLocation;
  serverType: ServerType;
  image: Image;
}

/** `"cx23, cpx22,cx23"` → `["cx23", "cpx22"]`: trimmed, empty entries and repeats dropped, order kept. */
export function parseChoices(value: string): string[] {
  return [
    ...new Set(
      value
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== ''),
    ),
  ];
}

/** Location-major: a pool stays in its preferred location (networks, latency) as long as any type fits there. */
export function candidatePairs(types: string[], locations: string[]): Array<{ type: string; location: string }> {
  return locations.flatMap((location) => types.map((type) => ({ type, location })));
}

export function describeCandidate(c: Pick<Candidate, 'location' | 'serverType'>): string {
  return `${c.serverType.name} in ${c.location.name}`;
}

/** The API's ways of saying "not this type here, not now": worth trying the next pair, not worth failing for. */
export function isCapacityError(err: unknown): boolean {
  if (isHcloudError(err, 'resource_unavailable', 'invalid_server_type', 'unsupported_error', 'placement_error')) {
    return true;
  }
  return (
    isHcloudError(err, 'invalid_input') &&
    /unsupported location|not (available|offered|supported) (in|for)/i.test(err.apiMessage)
  );
}

/** The project limits a `resource_limit_exceeded` answer names (`details.limits[].name`), if any. */
function limitNames(err: { details: unknown }): string[] {
  const limits = (err.details as { limits?: unknown } | null)?.limits;
  if (!Array.isArray(limits)) return [];
  return limits
    .map((l) => (l as { name?: unknown } | null)?.name)
    .filter((n): n is string => typeof n === 'string' && n !== '');
}

/**
 * A Hetzner project limit (servers, cores, …): no other type or location helps and waiting does not either, so
 * Create stops at once and says what to change. The autoscaler meets this first, when it grows a pool past what the
 * project allows.
 */
export function explainLimitError(err: unknown, c: Pick<Candidate, 'location' | 'serverType'>): Error | null {
  if (!isHcloudError(err, 'resource_limit_exceeded')) return null;
  const names = limitNames(err);
  return new Error(
    `the Hetzner Cloud project has reached a limit${names.length ? ` (${names.join(', ')})` : ''} and cannot take ` +
      `another ${describeCandidate(c)} (resource_limit_exceeded: ${err.apiMessage}): ask Hetzner to raise the ` +
      "project's limits or delete servers you no longer need; with the cluster autoscaler, lower the pool's " +
      'maximum size to what the project allows',
    { cause: err },
  );
}

/**
 * The last pair failed for capacity and there is no other to try: what happened, in words that name the flags to
 * change. The API's code stays in the text (logs, support requests).
 */
export function explainCapacityError(
  err: unknown,
  c: Pick<Candidate, 'location' | 'serverType'>,
  placement: { group?: number | null; spread?: boolean } = {},
): Error {
  const code = isHcloudError(err) ? err.code : 'error';
  const said = isHcloudError(err) && err.apiMessage ? `: ${err.apiMessage}` : '';
  const type = c.serverType.name;
  const where = c.location.name;
  const widen =
    `add fallback types to --${FLAG.serverType} (e.g. "${type},<another type>") or fallback locations to ` +
    `--${FLAG.location} (e.g. "${where},<another location>")`;
  let message: string;
  if (code === 'resource_unavailable') {
    message = `Hetzner has no ${type} available in ${where} right now (${code}${said}): ${widen}, or try again later`;
  } else if (code === 'placement_error') {
    const fixedGroup = placement.group && !placement.spread;
    message = fixedGroup
      ? `Hetzner could not place a ${type} server in ${where} in placement group ${placement.group} (${code}${said}): ` +
        `a spread group holds at most 10 servers, each on its own host; use --${FLAG.placementGroupSpread}, which ` +
        `opens another group when one is full, or ${widen}`
      : `Hetzner could not place a ${type} server in ${where} (${code}${said}): ${widen}, or try again later`;
  } else {
    message = `server type ${type} cannot be created in ${where} (${code}${said}): choose a type sold there, or ${widen}`;
  }
  return new Error(message, { cause: err });
}

/** A pair the catalogue allows, from the type and location lists. */
export interface Pair {
  type: ServerType;
  location: Location;
  soldOut: boolean;
}

/** The pairs worth planning, in order; the first one not sold out is planned in full. */
export interface VettedPairs {
  all: Pair[];
  first: Pair;
}

/**
 * PreCreateCheck with lists: every type and location exists, and each pair is offered, not deprecated and in the
 * location the primary IPs and volumes pin (others are dropped with a warning). Null when no pair can work (reported);
 * the error when the catalogue could not be read.
 */
export async function vetPairs(input: {
  client: HcloudClient;
  serverType: string;
  location: string;
  pinned: string | null;
  problems: Problems;
}): Promise<VettedPairs | { catalogueError: unknown } | null> {
  const { client, pinned } = input;
  const { error, warn } = input.problems;
  const types = parseChoices(input.serverType);
  const locations = parseChoices(input.location);
  let catalogue: { types: ServerType[]; locations: Location[] };
  try {
    const [allTypes, allLocations] = await Promise.all([client.serverTypes.list(), client.locations.list()]);
    catalogue = { types: allTypes, locations: allLocations };
  } catch (e) {
    return { catalogueError: e };
  }

  const typeOf = new Map(catalogue.types.map((t) => [t.name, t]));
  const locationOf = new Map(catalogue.locations.map((l) => [l.name, l]));
  const unknownTypes = types.filter((t) => !typeOf.has(t));
  const unknownLocations = locations.filter((l) => !locationOf.has(l));
  for (const t of unknownTypes) {
    error(FLAG.serverType, `server type "${t}" does not exist: remove it from the list or fix the name`);
  }
  for (const l of unknownLocations) {
    error(FLAG.location, `location "${l}" does not exist: use fsn1, nbg1, hel1, ash, hil or sin`);
  }
  if (unknownTypes.length > 0 || unknownLocations.length > 0) return null;

  const pairs: Pair[] = [];
  for (const { type, location } of candidatePairs(types, locations)) {
    const t = typeOf.get(type)!;
    const l = locationOf.get(location)!;
    const what = `${t.name} in ${l.name}`;
    const entry = t.locations?.find((x) => x.name === l.name);
    const offered = entry ?? (t.locations?.length ? null : t.prices?.find((p) => p.location === l.name));
    if (!offered) {
      warn(FLAG.serverType, `${what} is skipped: the type is not offered in that location`);
      continue;
    }
    if (entry?.deprecation || t.deprecated || t.deprecation) {
      warn(FLAG.serverType, `${what} is skipped: the type is deprecated there`);
      continue;
    }
    if (pinned && l.name !== pinned) {
      warn(FLAG.location, `${what} is skipped: the primary IPs/volumes are in ${pinned}`);
      continue;
    }
    pairs.push({ type: t, location: l, soldOut: entry?.available === false });
  }
  const first = pairs.find((p) => !p.soldOut);
  if (!first) {
    if (pinned && !pairs.length) {
      error(FLAG.location, pinMessage(pinned, locations));
    } else {
      error(
        FLAG.serverType,
        pairs.length > 0
          ? `every pair is sold out right now (${pairs.map((p) => `${p.type.name} in ${p.location.name}`).join(', ')}): add another type or location`
          : `no server type of "${input.serverType}" is offered in any location of "${input.location}": widen either list`,
      );
    }
    return null;
  }
  for (const p of pairs.filter((x) => x.soldOut)) {
    warn(FLAG.serverType, `${p.type.name} in ${p.location.name} is sold out right now; Create still tries it in turn`);
  }
  return { all: pairs, first };
}

/**
 * The pairs Create tries once the first one is planned: each must be in the networks' zone (when there are
 * networks) and have the image for its type's architecture; the others are dropped with a warning.
 */
export async function candidatesOf(
  pairs: VettedPairs,
  input: { client: HcloudClient; planned: Candidate; imageRef: string; needsZone: boolean; problems: Problems },
): Promise<Candidate[]> {
  const { planned, problems } = input;
  const zone = planned.location.network_zone ?? pairs.first.location.network_zone;
  const imageFor = new Map<string, Image | null>([[planned.image.architecture, planned.image]]);
  const candidates: Candidate[] = [];
  for (const p of pairs.all) {
    const what = `${p.type.name} in ${p.location.name}`;
    if (input.needsZone && p.location.network_zone !== zone) {
      problems.warn(
        FLAG.location,
        `${what} is skipped: the networks are in network zone ${zone}, not ${p.location.network_zone}`,
      );
      continue;
    }
    const arch = p.type.architecture;
    if (!imageFor.has(arch)) imageFor.set(arch, await imageForArch(input.client, input.imageRef, arch));
    const image = imageFor.get(arch);
    if (!image) {
      problems.warn(FLAG.serverType, `${what} is skipped: image "${input.imageRef}" has no ${arch} version`);
      continue;
    }
    const location: PlanLocation =
      p === pairs.first
        ? planned.location
        : { id: p.location.id, name: p.location.name, network_zone: p.location.network_zone };
    candidates.push({ location, serverType: p.type, image });
  }
  return candidates;
}

/** The primary IPs and volumes pin a location the server would not be created in. */
export function pinMessage(pinned: string, locations: string[]): string {
  return (
    `the primary IPs/volumes are in ${pinned}, but the server would be created in ${locations.join(', ')}: ` +
    `add ${pinned} to --${FLAG.location} or use addresses and volumes of that location`
  );
}

/** Rounds of "the spread group filled up or vanished under us, choose again" per pair before giving up on it. */
const SPREAD_ROUNDS = 12;

/**
 * POSTs the server on each candidate pair in turn (and, with spread placement, into a group with room). Returns the
 * result with the pair and group used; when every pair fails for capacity, one error lists what each answered.
 */
export async function postWithFallback<T>(opts: {
  body: ServerCreateRequest;
  candidates: Candidate[];
  spread: SpreadPlacement | null;
  logger: Logger;
  post: (body: ServerCreateRequest) => Promise<T>;
  /** Told each spread group before it is used, so a failed Create can delete a group it left empty. */
  onGroup?: (groupId: number) => void;
}): Promise<{ result: T; candidate: Candidate; groupId: number | null }> {
  const { candidates, spread, logger } = opts;
  const tried: string[] = [];
  let last: unknown = null;
  for (const [i, c] of candidates.entries()) {
    const body: ServerCreateRequest = {
      ...opts.body,
      server_type: c.serverType.name,
      location: c.location.name,
      image: c.image.id,
    };
    for (let round = 0; ; round++) {
      let groupId: number | null = null;
      if (spread) {
        const group = await spread.choose();
        groupId = group.id;
        body.placement_group = group.id;
        opts.onGroup?.(group.id);
      }
      try {
        const result = await opts.post(body);
        if (i > 0) {
          logger.info(`Capacity fallback: using ${describeCandidate(c)} (${tried.join('; ')})`);
        }
        return { result, candidate: c, groupId };
      } catch (err) {
        if (
          spread &&
          groupId !== null &&
          round < SPREAD_ROUNDS &&
          isHcloudError(err, 'placement_error', 'not_found') &&
          (await spread.groupWasTaken(groupId))
        ) {
          logger.debug(`Spread group ${groupId} filled up or was removed meanwhile; choosing again`);
          continue;
        }
        if (!isCapacityError(err)) throw explainLimitError(err, c) ?? err;
        last = err;
        const code = isHcloudError(err) ? err.code : 'error';
        tried.push(`${describeCandidate(c)}: ${code}`);
        if (i < candidates.length - 1) {
          logger.warn(
            `${describeCandidate(c)} is not available (${code}); trying ${describeCandidate(candidates[i + 1]!)}`,
          );
        }
        break;
      }
    }
  }
  if (candidates.length === 1 && last) {
    throw explainCapacityError(last, candidates[0]!, { group: opts.body.placement_group, spread: spread !== null });
  }
  throw new Error(
    `no server could be created on any of the ${candidates.length} type/location pairs (${tried.join('; ')}): add ` +
      `more types to --${FLAG.serverType} or locations to --${FLAG.location}, or try again later`,
    { cause: last },
  );
}
