// The pure part of incidents: names, limits and the status order. Migration 0029's trigger
// holds the same order and refuses any move backwards; checking here first turns a mistaken
// request into a named error instead of a database exception.

export const STATUSES = ['open', 'contained', 'resolved', 'closed'] as const;
export type Status = (typeof STATUSES)[number];
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Dotted lower-case names: `vault.pan_discovered` (incidents), `switch.changed` (events). */
export const KIND_RE = /^[a-z][a-z0-9_.]{0,63}$/;

export const TITLE_CHARS_MAX = 200;
export const SUMMARY_CHARS_MAX = 500;
/** Longest reason an actor can give for a status change. */
export const REASON_CHARS_MAX = 500;
/** Longest detector key: a source network, a rule id, a merchant id and the like. */
export const DETECTOR_KEY_CHARS_MAX = 200;
/** Most timeline events one read returns. */
export const TIMELINE_EVENTS_MAX = 1000;

/**
 * Event kinds the database applies to the record; only this module writes them, each through
 * its own function, so appendTimeline refuses them.
 */
export const STATE_EVENT_KINDS: ReadonlySet<string> = new Set([
  'opened',
  'status_changed',
  'owner_changed',
  'severity_changed',
  'signal_joined',
]);

/** Only forward: open → contained → resolved → closed; a step may be skipped. */
export function canTransition(from: Status, to: Status): boolean {
  return STATUSES.indexOf(to) > STATUSES.indexOf(from);
}
