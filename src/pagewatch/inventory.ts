import { createHash } from 'node:crypto';
import { canonicalJson } from '../lib/canonical-json.ts';

// A page's inventory: what one load of it received and ran, in a canonical form so that two
// loads of an unchanged page are equal, and the difference between two inventories in the
// words an alert uses. Pure: no browser, no SQL.

export interface ScriptSeen {
  /** The script's URL; '' for an inline or evaluated script. */
  url: string;
  /** SHA-256 of the body (inline: of the text), hex. */
  sha256: string;
}

export interface Inventory {
  scripts: ScriptSeen[];
  /** Security headers of the page's own response, lower-case names, nonces masked. */
  headers: Record<string, string>;
  /** Frames' origin and path (the query string is per load: sessions, ids). */
  frames: string[];
  /** Where the page's forms post, resolved to absolute URLs. */
  form_actions: string[];
}

/** The response headers an inventory keeps: the ones that decide what a page may run. */
const SECURITY_HEADERS = [
  'content-security-policy',
  'content-security-policy-report-only',
  'cross-origin-embedder-policy',
  'cross-origin-opener-policy',
  'permissions-policy',
  'referrer-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-frame-options',
] as const;

/** Scripts kept in one inventory; a page running more is itself suspicious, and bounded. */
const INVENTORY_SCRIPTS_MAX = 500;
/** Frames and form actions kept in one inventory. */
const INVENTORY_ENTRIES_MAX = 200;

export function sha256Hex(body: Buffer | string): string {
  return createHash('sha256').update(body).digest('hex');
}

/**
 * A CSP nonce is new at every load by design; it is masked so that an unchanged policy
 * compares equal while any other change to it does not.
 */
function maskNonces(value: string): string {
  return value.replace(/'nonce-[^']*'/g, "'nonce-*'");
}

/** The kept headers of a response, masked; absent headers are absent. */
export function securityHeaders(all: Record<string, string>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(all)) {
    const lower = name.toLowerCase();
    if ((SECURITY_HEADERS as readonly string[]).includes(lower)) {
      kept[lower] = maskNonces(value).slice(0, 4096);
    }
  }
  return kept;
}

/** A frame's URL without its query and fragment (about:blank and data: stay as they are). */
export function frameKey(url: string): string {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return u.protocol;
    return `${u.origin}${u.pathname}`;
  } catch {
    return url.slice(0, 200);
  }
}

const byScript = (a: ScriptSeen, b: ScriptSeen) =>
  a.url === b.url
    ? a.sha256 < b.sha256
      ? -1
      : a.sha256 > b.sha256
        ? 1
        : 0
    : a.url < b.url
      ? -1
      : 1;

const uniqueSorted = (list: readonly string[]) => [...new Set(list)].sort();

/** Sorted, de-duplicated and bounded: the form stored and compared. */
export function canonicalInventory(i: Inventory): Inventory {
  const seen = new Set<string>();
  const scripts = i.scripts
    .filter((s) => {
      const key = `${s.url}\0${s.sha256}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort(byScript)
    .slice(0, INVENTORY_SCRIPTS_MAX);
  return {
    scripts,
    headers: Object.fromEntries(Object.entries(i.headers).sort(([a], [b]) => (a < b ? -1 : 1))),
    frames: uniqueSorted(i.frames).slice(0, INVENTORY_ENTRIES_MAX),
    form_actions: uniqueSorted(i.form_actions).slice(0, INVENTORY_ENTRIES_MAX),
  };
}

export function inventoryHash(i: Inventory): Buffer {
  return createHash('sha256')
    .update(canonicalJson(canonicalInventory(i)))
    .digest();
}

export interface Difference {
  /** Scripts whose URL (or, inline, whose text) was not in the approved inventory. */
  scripts_added: ScriptSeen[];
  /** Scripts at an approved URL whose body changed. */
  scripts_changed: Array<{ url: string; sha256: string; approved_sha256: string[] }>;
  scripts_removed: ScriptSeen[];
  headers_changed: Array<{ name: string; approved: string | null; observed: string | null }>;
  frames_added: string[];
  frames_removed: string[];
  form_actions_added: string[];
  form_actions_removed: string[];
}

const minus = (a: readonly string[], b: readonly string[]) => a.filter((x) => !b.includes(x));

function scriptDifference(approved: Inventory, observed: Inventory) {
  const key = (s: ScriptSeen) => `${s.url}\0${s.sha256}`;
  const approvedKeys = new Set(approved.scripts.map(key));
  const observedKeys = new Set(observed.scripts.map(key));
  const approvedUrls = new Set(approved.scripts.filter((s) => s.url !== '').map((s) => s.url));
  const observedUrls = new Set(observed.scripts.filter((s) => s.url !== '').map((s) => s.url));
  const fresh = observed.scripts.filter((s) => !approvedKeys.has(key(s)));
  return {
    scripts_added: fresh.filter((s) => s.url === '' || !approvedUrls.has(s.url)),
    scripts_changed: fresh
      .filter((s) => s.url !== '' && approvedUrls.has(s.url))
      .map((s) => ({
        url: s.url,
        sha256: s.sha256,
        approved_sha256: approved.scripts.filter((a) => a.url === s.url).map((a) => a.sha256),
      })),
    scripts_removed: approved.scripts.filter(
      (s) => !observedKeys.has(key(s)) && (s.url === '' || !observedUrls.has(s.url)),
    ),
  };
}

/** What changed from the approved inventory to the observed one; null when nothing did. */
export function difference(approved: Inventory, observed: Inventory): Difference | null {
  const a = canonicalInventory(approved);
  const o = canonicalInventory(observed);
  const names = uniqueSorted([...Object.keys(a.headers), ...Object.keys(o.headers)]);
  const d: Difference = {
    ...scriptDifference(a, o),
    headers_changed: names
      .filter((n) => a.headers[n] !== o.headers[n])
      .map((n) => ({ name: n, approved: a.headers[n] ?? null, observed: o.headers[n] ?? null })),
    frames_added: minus(o.frames, a.frames),
    frames_removed: minus(a.frames, o.frames),
    form_actions_added: minus(o.form_actions, a.form_actions),
    form_actions_removed: minus(a.form_actions, o.form_actions),
  };
  const empty = Object.values(d).every((list) => (list as unknown[]).length === 0);
  return empty ? null : d;
}

/** One line per kind of change, for an alert's summary and email. */
export function describe(d: Difference): string[] {
  const lines: string[] = [];
  for (const s of d.scripts_added) lines.push(`new script ${s.url || '(inline)'} ${s.sha256}`);
  for (const s of d.scripts_changed) lines.push(`changed script ${s.url} now ${s.sha256}`);
  for (const s of d.scripts_removed) lines.push(`script gone ${s.url || '(inline)'}`);
  for (const h of d.headers_changed) lines.push(`header ${h.name} changed`);
  for (const f of d.frames_added) lines.push(`new frame ${f}`);
  for (const f of d.frames_removed) lines.push(`frame gone ${f}`);
  for (const f of d.form_actions_added) lines.push(`new form action ${f}`);
  for (const f of d.form_actions_removed) lines.push(`form action gone ${f}`);
  return lines;
}
