import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The payment-page script inventory (PCI DSS 6.4.3): every script Kinko serves on a payment
// page, with its SHA-384 hash in SRI form. Scripts are read once at start-up from this
// module's hosted/ folder; the hash served is the hash of the bytes served.

const HOSTED_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'hosted');

type ScriptName = 'kinko' | 'fields' | 'challenge';

export interface ScriptEntry {
  name: ScriptName;
  /** Path on Kinko's origin. */
  path: string;
  /** What the script is for and who loads it. */
  purpose: string;
  integrity: string;
  bytes: number;
  body: Buffer;
}

const SCRIPTS: ReadonlyArray<{ name: ScriptName; file: string; path: string; purpose: string }> = [
  {
    name: 'kinko',
    file: 'kinko.js',
    path: '/js/kinko.js',
    purpose: 'merchant-side loader: mounts the hosted card fields iframe, receives only the token',
  },
  {
    name: 'fields',
    file: 'fields.js',
    path: '/hosted/fields.js',
    purpose: 'hosted card fields page: tokenizes with Kinko, runs 3-D Secure, posts the token',
  },
  {
    name: 'challenge',
    file: 'challenge.js',
    path: '/3ds/challenge.js',
    purpose: '3-D Secure challenge page: sends the one-time code to Kinko',
  },
];

function sri(body: Buffer): string {
  return `sha384-${createHash('sha384').update(body).digest('base64')}`;
}

export interface ScriptInventory {
  entries: readonly ScriptEntry[];
  entry(name: ScriptName): ScriptEntry;
  byPath(p: string): ScriptEntry | undefined;
  /** True when `integrity` is the inventory's hash for a script at `p`. */
  lists(p: string, integrity: string): boolean;
}

export function loadScriptInventory(dir = HOSTED_DIR): ScriptInventory {
  const entries = SCRIPTS.map((s) => {
    const body = fs.readFileSync(path.join(dir, s.file));
    return {
      name: s.name,
      path: s.path,
      purpose: s.purpose,
      integrity: sri(body),
      bytes: body.length,
      body,
    };
  });
  const byName = new Map(entries.map((e) => [e.name, e]));
  const byPath = new Map(entries.map((e) => [e.path, e]));
  return {
    entries,
    entry: (name) => byName.get(name)!,
    byPath: (p) => byPath.get(p),
    lists: (p, integrity) => byPath.get(p)?.integrity === integrity,
  };
}
