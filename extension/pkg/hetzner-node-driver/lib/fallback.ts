// Ordered fallbacks for `serverLocation` and `serverType`: both stay string fields holding a comma-separated list
// ("fsn1,nbg1"), the first entry being the primary choice. The driver tries every type in the first location, then
// in the next, so fallback types must share the primary type's architecture (the image is chosen for it).
import { typeAvailability } from './catalog';
import type { Architecture, ServerType } from './hcloud';

/** `" fsn1, nbg1,fsn1"` → `["fsn1", "nbg1"]`: trimmed, empty entries and repeats dropped, order kept. */
export function parseChoices(value: string | null | undefined): string[] {
  return [...new Set((value ?? '').split(',').map((s) => s.trim()).filter(Boolean))];
}

export function primaryOf(value: string | null | undefined): string {
  return parseChoices(value)[0] ?? '';
}

export function fallbacksOf(value: string | null | undefined): string[] {
  return parseChoices(value).slice(1);
}

/** Replaces the primary choice, keeping the fallbacks (minus the new primary). */
export function withPrimary(value: string | null | undefined, primary: string): string {
  return [...new Set([primary, ...fallbacksOf(value)].filter(Boolean))].join(',');
}

/** Replaces the fallbacks, in the given order, behind the primary choice. */
export function withFallbacks(value: string | null | undefined, fallbacks: string[]): string {
  const primary = primaryOf(value);

  return [...new Set([primary, ...fallbacks].filter(Boolean))].join(',');
}

/**
 * Types worth listing as fallbacks: of the primary type's architecture, not the primary itself, and sold (current,
 * available) in at least one of the chosen locations. Cheapest first, like the console's list.
 */
export function fallbackTypes(types: ServerType[], locations: string[], arch: Architecture | undefined, primary: string): ServerType[] {
  return types
    .filter((t) => t.name !== primary && (!arch || t.architecture === arch))
    .filter((t) => locations.some((l) => typeAvailability(t, l) === 'available'))
    .sort((a, b) => a.cores - b.cores || a.memory - b.memory || a.name.localeCompare(b.name));
}

/** The chosen locations in which `type` can be ordered. */
export function soldIn(type: ServerType, locations: string[]): string[] {
  return locations.filter((l) => typeAvailability(type, l) === 'available');
}
