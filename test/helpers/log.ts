import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/lib/log.ts';

/** A logger that keeps every line it writes, for assertions on what was logged. */
export function capturedLogger(level = 'trace'): { log: Logger; lines: string[]; text(): string } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const log = createLogger({
    level,
    destination: sink as unknown as Parameters<typeof createLogger>[0]['destination'],
  });
  return { log, lines, text: () => lines.join('\n') };
}
