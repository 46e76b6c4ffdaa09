// Types and helpers shared by the resource clients.
import { isHcloudError } from '../errors';
import type { Query } from '../http/types';

export type Labels = Record<string, string>;

export interface Protection {
  delete: boolean;
  rebuild?: boolean;
}

export interface Deprecation {
  announced: string;
  unavailable_after: string;
}

export interface ListQuery {
  name?: string;
  label_selector?: string;
  sort?: string | string[];
}

export interface RequestOptions {
  query?: Query | undefined;
  body?: unknown;
  /** Also retry `423 locked` (with the normal backoff); see the retry handler for why this is opt-in. */
  retryLocked?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

/** What a resource client needs from HcloudClient; kept narrow so resources do not import the client. */
export interface Requester {
  request<T>(method: string, path: string, opts?: RequestOptions): Promise<T>;
  listAll<T>(path: string, key: string, query?: Query): Promise<T[]>;
}

/** `GET /things/{id}` answers 404 `not_found` for a deleted resource; callers want "absent", not an exception. */
export async function orNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (err) {
    if (isHcloudError(err, 'not_found')) return null;
    throw err;
  }
}

/** Names are unique per project, so a `name=` filter yields at most one match. */
export function first<T>(items: T[]): T | null {
  return items[0] ?? null;
}

/** IDs go into paths; refusing anything but a positive safe integer keeps a bad value from hitting another URL. */
export function idPath(base: string, id: number, suffix = ''): string {
  if (!Number.isSafeInteger(id) || id <= 0) throw new TypeError(`invalid Hetzner resource id: ${String(id)}`);
  return `${base}/${id}${suffix}`;
}

export function toQuery(q: object | undefined): Query | undefined {
  return q as Query | undefined;
}
