import { readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import { KinkoError } from '../lib/errors.ts';
import { CARD_RANGES_FILE_BYTES_MAX } from './card-ranges.ts';
import { DELEGATED_FILE_BYTES_MAX } from './home-networks.ts';
import type { Risk } from './risk.ts';

// `kinko risk ip-table load FILE`: replaces the home-country address table from a regional
// registry's delegated statistics file (for Japan, APNIC's delegated-apnic-extended-latest);
// `kinko risk bin-table load FILE`: replaces the card range (BIN) table from a CSV file
// (card-ranges.ts). Both for a person at a terminal of a Kinko host, who acts as
// `cli:<their user name>`.

export const RISK_IP_TABLE_USAGE = 'kinko risk ip-table load FILE';
export const RISK_BIN_TABLE_USAGE = 'kinko risk bin-table load FILE';

interface Io {
  out(line: string): void;
  err(line: string): void;
}

export async function riskIpTableCommand(risk: Risk, args: string[], io: Io): Promise<number> {
  const [sub, file, ...rest] = args;
  if (sub !== 'load' || !file || rest.length > 0) {
    io.err(`usage: ${RISK_IP_TABLE_USAGE}`);
    return 2;
  }
  try {
    if ((await stat(file)).size > DELEGATED_FILE_BYTES_MAX) {
      io.err(`${file} is larger than ${DELEGATED_FILE_BYTES_MAX} bytes: not a delegated file`);
      return 1;
    }
    const text = await readFile(file, 'utf8');
    const r = await risk.loadHomeNetworks(text, { id: os.userInfo().username });
    io.out(
      `loaded ${r.ranges} ${r.country} address blocks from ${r.registry} ` +
        `(replaced ${r.replaced}; ${r.skippedLines} other lines skipped)`,
    );
    return 0;
  } catch (e) {
    return failed(e, file, io);
  }
}

export async function riskBinTableCommand(risk: Risk, args: string[], io: Io): Promise<number> {
  const [sub, file, ...rest] = args;
  if (sub !== 'load' || !file || rest.length > 0) {
    io.err(`usage: ${RISK_BIN_TABLE_USAGE}`);
    return 2;
  }
  try {
    if ((await stat(file)).size > CARD_RANGES_FILE_BYTES_MAX) {
      io.err(`${file} is larger than ${CARD_RANGES_FILE_BYTES_MAX} bytes: not a BIN table`);
      return 1;
    }
    const text = await readFile(file, 'utf8');
    const r = await risk.loadCardRanges(text, { id: os.userInfo().username });
    io.out(`loaded ${r.ranges} card ranges (replaced ${r.replaced})`);
    return 0;
  } catch (e) {
    return failed(e, file, io);
  }
}

/** A refused file or a missing one, said in one line; anything else is thrown on. */
function failed(e: unknown, file: string, io: Io): number {
  if (e instanceof KinkoError) {
    io.err(`${e.code}: ${String(e.extra?.['problem'] ?? e.message)}`);
    return 1;
  }
  if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
    io.err(`${file}: no such file`);
    return 1;
  }
  throw e;
}
