// A transaction that lost a race to a concurrent one — both inserted the same new id (unique
// violation), or each waited for the other's lock (deadlock) — is correct to run again from
// the start: the second run sees the winner's rows (and answers `exists`, say). Anything else
// is not retried.

const UNIQUE_VIOLATION = '23505';
const DEADLOCK_DETECTED = '40P01';

/** Runs `run` again, up to `attempts` times in all, while it fails with a lost race. */
export async function retryOnConflict<T>(attempts: number, run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      const lostRace = code === UNIQUE_VIOLATION || code === DEADLOCK_DETECTED;
      if (!lostRace || attempt >= attempts) throw e;
    }
  }
}
