// The cost line PreCreateCheck logs: what one server of the type costs in the location it will be created in, from
// the API's own `prices[]` entry for that location (prices differ between locations), and whether the type can be
// ordered there at all (`locations[]`, the current source of truth; `prices[]` on API versions without it).
import type { ServerType } from '../hcloud';

/** Whether `type` can be ordered in `location` now, or why not. */
export function orderable(type: ServerType, location: string): 'yes' | 'not sold' | 'deprecated' | 'sold out' {
  const listed = type.locations?.length ? type.locations : null;
  const entry = listed?.find((l) => l.name === location);
  if (listed ? !entry : !type.prices?.some((p) => p.location === location)) return 'not sold';
  if (entry?.deprecation || type.deprecated || type.deprecation) return 'deprecated';
  if (entry?.available === false) return 'sold out';
  return 'yes';
}

function euros(text: string | undefined, digits: number): string | null {
  const n = Number(text);
  return text !== undefined && text !== '' && Number.isFinite(n) ? `€${n.toFixed(digits)}` : null;
}

/**
 * "cx23 in fsn1 costs €4.15/month (€0.0057/hour) gross, excl. traffic beyond 20 TB", or, when the type
 * cannot be ordered there or the API lists no price for the location, a sentence that says so instead of a price.
 */
export function costLine(type: ServerType, location: string): string {
  const what = `${type.name} in ${location}`;
  const status = orderable(type, location);
  if (status === 'not sold') return `${what}: not sold there, no price`;
  if (status === 'deprecated') return `${what}: deprecated there, unavailable for new servers`;
  const price = type.prices?.find((p) => p.location === location);
  const monthly = euros(price?.price_monthly.gross, 2);
  if (!price || !monthly) return `${what}: the API lists no price for this location`;
  const hourly = euros(price.price_hourly.gross, 4);
  const traffic =
    typeof price.included_traffic === 'number' && price.included_traffic > 0
      ? `traffic beyond ${Math.round(price.included_traffic / 1024 ** 4)} TB`
      : 'traffic';
  const soldOut = status === 'sold out' ? ' (sold out there right now)' : '';
  return `${what} costs ${monthly}/month${hourly ? ` (${hourly}/hour)` : ''} gross, excl. ${traffic}${soldOut}`;
}
