import { spawn } from 'node:child_process';

// Starts test/helpers/ledger-writer.ts as a process of its own and collects what it says.

export interface Writer {
  /** Lines written so far on stdout. */
  lines: string[];
  /** Transfer ids the writer saw committed. */
  acked(): string[];
  stderr(): string;
  /** Resolves with the first line for which `match` holds. */
  waitFor(match: (line: string) => boolean): Promise<string>;
  kill(signal?: NodeJS.Signals): void;
  exited: Promise<number | null>;
}

export function startWriter(
  url: string,
  accounts: readonly string[],
  tag: string,
  mode: 'append' | 'ledger' | 'hold' | 'spend',
  extra: Record<string, string> = {},
): Writer {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/ledger-writer.ts'], {
    env: {
      ...process.env,
      WRITER_URL: url,
      WRITER_ACCOUNTS: accounts.join(','),
      WRITER_TAG: tag,
      WRITER_MODE: mode,
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: Array<{ match: (l: string) => boolean; resolve: (l: string) => void }> = [];
  let partial = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const w of waiters.splice(0)) {
        if (w.match(line)) w.resolve(line);
        else waiters.push(w);
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    lines,
    acked: () => lines.filter((l) => l.startsWith('ack ')).flatMap((l) => l.slice(4).split(' ')),
    stderr: () => err,
    waitFor: (match) =>
      new Promise((resolve, reject) => {
        const seen = lines.find(match);
        if (seen !== undefined) return resolve(seen);
        waiters.push({ match, resolve });
        void exited.then(() => reject(new Error(`writer exited before the line; ${err}`)));
      }),
    kill: (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    exited,
  };
}
