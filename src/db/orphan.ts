import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../lib/log.ts';

// An embedded server whose Kinko died without stopping it (kill -9, an OOM kill): the server
// runs in its own process group, so it outlives its parent and holds the data directory, and
// the next start refused with "already running". Start now recognises such an orphan — a
// postgres process serving this very cluster, whose parent is no longer the Kinko that
// started it — and stops it (a fast shutdown: open transactions roll back, a checkpoint is
// written) before starting its own. A server still owned by a live Kinko is left alone.

interface ProcessInfo {
  ppid: number;
  args: string[];
}

function processInfo(pid: number): ProcessInfo | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return { ppid, args };
  } catch {
    // No /proc (macOS): ps tells the same, as one line of text.
    try {
      const line = execFileSync('ps', ['-o', 'ppid=,args=', '-p', String(pid)])
        .toString()
        .trim();
      const [ppid, ...args] = line.split(/\s+/);
      return { ppid: Number(ppid), args };
    } catch {
      return undefined;
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(dataDir: string): { kinkoPid?: number } {
  try {
    return JSON.parse(fs.readFileSync(path.join(dataDir, 'pg.owner'), 'utf8')) as {
      kinkoPid?: number;
    };
  } catch {
    return {};
  }
}

/** True when the process runs the postgres binary on exactly this cluster directory. */
function servesCluster(info: ProcessInfo, clusterDir: string): boolean {
  const d = info.args.indexOf('-D');
  return (
    path.basename(info.args[0] ?? '') === 'postgres' &&
    d >= 0 &&
    path.resolve(info.args[d + 1] ?? '') === path.resolve(clusterDir)
  );
}

const ORPHAN_STOP_SECONDS_MAX = 30;

/**
 * Makes way for a new embedded server on clusterDir: stops an orphaned one, throws when a
 * live Kinko (or something that is not our server) holds the cluster.
 */
export async function stopOrphanedServer(
  clusterDir: string,
  dataDir: string,
  log: Logger,
): Promise<void> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  // A stale pid file (the server died with its machine) is PostgreSQL's own to handle.
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  const info = processInfo(pid);
  const owner = readOwner(dataDir).kinkoPid;
  const ours = info !== undefined && servesCluster(info, clusterDir);
  const ownerAlive = owner !== undefined && info?.ppid === owner && alive(owner);
  if (!ours || ownerAlive) {
    throw new Error(
      `the embedded PostgreSQL in ${clusterDir} is already running (pid ${pid}` +
        (ownerAlive ? `, started by Kinko pid ${owner}` : '') +
        '); another Kinko may be using this data directory — stop it or set KINKO_DATA_DIR',
    );
  }
  log.warn(
    { pid, clusterDir },
    'stopping the embedded PostgreSQL left running by a Kinko that died',
  );
  process.kill(pid, 'SIGINT');
  for (let waited = 0; alive(pid); waited += 100) {
    if (waited >= ORPHAN_STOP_SECONDS_MAX * 1000) {
      throw new Error(`the orphaned embedded PostgreSQL (pid ${pid}) did not stop in time`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
