import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import {
  exportCheckpoint,
  importCheckpoint,
  type CheckpointRecord,
  type ExportedCheckpoint,
} from './chain.ts';

// The anchor: the newest checkpoints mirrored into a file beside the signing key, outside the
// database. Whoever can rewrite the database can also delete its checkpoints, and then a
// forged or shortened chain verifies on its own; the anchor still names a head the chain
// must reach and match, and how many checkpoints the database held up to it.
//
// One JSON line per mirrored checkpoint (an exported checkpoint plus `checkpoints`), only
// ever appended, each line fsynced, the file 0600. Each host keeps its own file: processes
// on several hosts each mirror the newest checkpoint they see, so a host's anchor can be
// behind the database (then verify checks up to that host's anchored head).

/** The anchor file's name, in the signing key's directory. */
export const ANCHOR_FILE_NAME = 'audit-anchor.jsonl';
/** How far from the end the writer looks for the last line: far more than one line. */
const TAIL_BYTES = 8192;

export interface AnchorLine {
  checkpoint: CheckpointRecord;
  /** How many checkpoints the database held with seq up to this one's, itself included. */
  count: bigint;
}

interface AnchorLineJson extends ExportedCheckpoint {
  checkpoints: string;
}

function formatAnchorLine(line: AnchorLine): string {
  const json: AnchorLineJson = {
    ...exportCheckpoint(line.checkpoint),
    checkpoints: line.count.toString(),
  };
  return JSON.stringify(json);
}

/** Parses one line; throws TypeError when it is not a whole anchor line. */
function parseAnchorLine(text: string): AnchorLine {
  const json = JSON.parse(text) as Partial<AnchorLineJson> | null;
  if (json === null || typeof json !== 'object') throw new TypeError('not an anchor line');
  const count = json.checkpoints;
  if (typeof count !== 'string' || !/^[1-9]\d{0,18}$/.test(count)) {
    throw new TypeError('anchor line has a malformed checkpoints count');
  }
  return { checkpoint: importCheckpoint(json as ExportedCheckpoint), count: BigInt(count) };
}

export interface AnchorContents {
  file: string;
  /** The line with the highest seq: the newest head this host saw signed. */
  head: AnchorLine | null;
  lines: number;
  /** Lines that could not be read (a line cut short by a crash while it was written). */
  unreadable: number;
  /** Two lines for one seq that disagree: the file was edited. */
  conflict: { seq: bigint; problem: string } | null;
}

/** Reads the whole file, a line at a time; null when there is no anchor file. */
export async function readAnchor(file: string): Promise<AnchorContents | null> {
  let input: fs.ReadStream;
  try {
    const fd = fs.openSync(file, 'r');
    input = fs.createReadStream('', { fd });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const out: AnchorContents = { file, head: null, lines: 0, unreadable: 0, conflict: null };
  for await (const text of readline.createInterface({ input, crlfDelay: Infinity })) {
    if (text.trim() === '') continue;
    out.lines += 1;
    let line: AnchorLine;
    try {
      line = parseAnchorLine(text);
    } catch {
      out.unreadable += 1;
      continue;
    }
    const head = out.head?.checkpoint;
    const c = line.checkpoint;
    if (head && head.seq === c.seq && !sameLine(out.head!, line) && !out.conflict) {
      const problem = `anchor file ${file} holds two different checkpoints at ${c.seq} (edited?)`;
      out.conflict = { seq: c.seq, problem };
    }
    if (!head || c.seq > head.seq) out.head = line;
  }
  return out;
}

function sameLine(a: AnchorLine, b: AnchorLine): boolean {
  return (
    a.count === b.count &&
    a.checkpoint.headHash.equals(b.checkpoint.headHash) &&
    a.checkpoint.signature.equals(b.checkpoint.signature)
  );
}

/** The last whole, readable line, from the end of the file only; null when there is none. */
export async function readAnchorTail(file: string): Promise<AnchorLine | null> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const size = (await handle.stat()).size;
    const length = Math.min(size, TAIL_BYTES);
    const buf = Buffer.alloc(length);
    await handle.read(buf, 0, length, size - length);
    // The text after the last newline is a line cut short (or nothing); the first piece may
    // be the end of a longer line. Neither parses, so trying each from the end is enough.
    const pieces = buf.toString('utf8').split('\n').slice(0, -1);
    for (let i = pieces.length - 1; i >= 0; i--) {
      try {
        return parseAnchorLine(pieces[i]!);
      } catch {
        continue;
      }
    }
    return null;
  } finally {
    await handle.close();
  }
}

/**
 * Appends one line and fsyncs it (and the directory, when the file is new). A line cut short
 * by an earlier crash is ended first, so it cannot swallow this one. The file system work
 * runs off the event loop: an fsync takes milliseconds.
 */
export async function appendAnchorLine(file: string, line: AnchorLine): Promise<void> {
  const dir = path.dirname(file);
  await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
  const handle = await fs.promises.open(file, 'a+', 0o600);
  let created = false;
  try {
    await handle.chmod(0o600);
    const size = (await handle.stat()).size;
    created = size === 0;
    let prefix = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\n';
    }
    await handle.write(`${prefix}${formatAnchorLine(line)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (created) {
    const dirHandle = await fs.promises.open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }
}
