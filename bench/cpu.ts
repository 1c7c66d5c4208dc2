import fs from 'node:fs';

// CPU accounting for the benchmarks: what a figure cost, not only how fast it went.

/**
 * CPU seconds used since the last read by this process (the server) and by the embedded
 * PostgreSQL (postmaster and its backends, from /proc), to report the cost per payment.
 * Processes that ended count too: the postmaster waits for every backend and worker it
 * started, so their CPU moves into its children's times (cutime, cstime) as they end.
 * Without those, a backend or autovacuum worker alive at one read and gone at the next
 * took its whole CPU time off the figure, and one that ran between two reads was missed.
 */
export function cpuMeter(clusterDir: string) {
  const ticks = 100;
  const stat = (pid: string) => fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!;
  const postgresSeconds = () => {
    const pids = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p));
    let master = '';
    for (const pid of pids) {
      try {
        const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        if (cmd.includes(clusterDir) && cmd.includes('-D')) master = pid;
      } catch {
        // The process ended meanwhile.
      }
    }
    let total = 0;
    for (const pid of pids) {
      try {
        const f = stat(pid).split(' ');
        if (pid === master || f[1] === master) total += Number(f[11]) + Number(f[12]);
        // /proc/<pid>/stat fields 16 and 17: CPU of the children it has waited for.
        if (pid === master) total += Number(f[13]) + Number(f[14]);
      } catch {
        // The process ended meanwhile.
      }
    }
    return total / ticks;
  };
  const serverSeconds = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  let last = { server: serverSeconds(), postgres: postgresSeconds() };
  return {
    read() {
      const now = { server: serverSeconds(), postgres: postgresSeconds() };
      const used = { server: now.server - last.server, postgres: now.postgres - last.postgres };
      last = now;
      return used;
    },
  };
}
