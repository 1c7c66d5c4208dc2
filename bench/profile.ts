import fs from 'node:fs';
import { Session } from 'node:inspector/promises';

// BENCH_CPU_PROFILE=file.cpuprofile: a V8 CPU profile of the server's process over the part
// of a benchmark that is measured (not the fixtures, not the reference), for Chrome DevTools
// or any .cpuprofile reader. `node --cpu-prof` would profile the whole run.

/** Starts profiling when BENCH_CPU_PROFILE names a file; the returned stop() writes it. */
export async function startProfile(): Promise<() => Promise<void>> {
  const file = process.env['BENCH_CPU_PROFILE'];
  if (!file) return async () => undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    fs.writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}
