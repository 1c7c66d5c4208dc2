import type { Status } from './store.ts';

// The pure part of incidents: names and the status transitions. Migration 0016's trigger
// holds the same list and refuses any other transition; checking here first turns a
// mistaken request into a named error instead of a database exception.

/** Dotted lower-case names: `vault.pan_discovered` (incidents), `status_changed` (events). */
export const KIND_RE = /^[a-z][a-z0-9_.]{0,63}$/;

export const SUMMARY_CHARS_MAX = 500;
/** Longest reason an actor can give for a status change. */
export const REASON_CHARS_MAX = 500;
/** Most timeline events one read returns. */
export const TIMELINE_EVENTS_MAX = 1000;

/** open → contained → closed; a contained or closed incident can be opened again. */
const TRANSITIONS: ReadonlyMap<Status, readonly Status[]> = new Map<Status, Status[]>([
  ['open', ['contained', 'closed']],
  ['contained', ['closed', 'open']],
  ['closed', ['open']],
]);

export function canTransition(from: Status, to: Status): boolean {
  return TRANSITIONS.get(from)?.includes(to) ?? false;
}
