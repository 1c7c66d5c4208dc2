import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

// The pure part of file integrity: a manifest is every file under the watched folders with
// its SHA-256, sorted by path; its root is SHA-256 over "path\0hash\n" lines, so one hash
// stands for the whole set and any edit, addition or removal changes it.

/** What Kinko serves and runs, relative to its install folder. */
const WATCHED = ['src', 'bin', 'migrations', 'scripts', 'package.json', 'package-lock.json'];
/** Watched files one manifest may hold; a folder past this is refused, not half-hashed. */
const MANIFEST_FILES_MAX = 20_000;

export type Files = Readonly<Record<string, string>>;

export interface Manifest {
  root: Buffer;
  files: Files;
}

function walk(dir: string, rel: string, out: Map<string, string>): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const abs = path.join(dir, e.name);
    const relPath = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) walk(abs, relPath, out);
    else if (e.isFile()) {
      if (out.size >= MANIFEST_FILES_MAX) throw new Error(`more than ${MANIFEST_FILES_MAX} files`);
      out.set(relPath, createHash('sha256').update(fs.readFileSync(abs)).digest('hex'));
    }
  }
}

/** Hashes the watched entries under root (a missing one is simply absent). */
export function hashTree(root: string, watched: readonly string[] = WATCHED): Manifest {
  const found = new Map<string, string>();
  for (const w of watched) {
    const abs = path.join(root, w);
    if (!fs.existsSync(abs)) continue;
    if (fs.statSync(abs).isDirectory()) walk(abs, w, found);
    else found.set(w, createHash('sha256').update(fs.readFileSync(abs)).digest('hex'));
  }
  const files = Object.fromEntries([...found].sort(([a], [b]) => (a < b ? -1 : 1)));
  return { root: rootOf(files), files };
}

/** The manifest with more entries (what is served but not a file under root). */
export function withFiles(m: Manifest, more: Files): Manifest {
  if (Object.keys(more).length === 0) return m;
  const files = Object.fromEntries(
    Object.entries({ ...m.files, ...more }).sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  return { root: rootOf(files), files };
}

function rootOf(files: Files): Buffer {
  const h = createHash('sha256');
  for (const [p, hash] of Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))) {
    h.update(`${p}\0${hash}\n`);
  }
  return h.digest();
}

export interface Difference {
  added: string[];
  removed: string[];
  changed: string[];
}

export function diff(expected: Files, observed: Files): Difference {
  const added = Object.keys(observed).filter((p) => !(p in expected));
  const removed = Object.keys(expected).filter((p) => !(p in observed));
  const changed = Object.keys(observed).filter((p) => p in expected && expected[p] !== observed[p]);
  return { added, removed, changed };
}
