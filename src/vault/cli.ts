import type { Vault } from './service.ts';

// The vault's commands: `kinko vault scan` and `kinko keys rotate` print through these.

interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** `kinko vault scan`: prints findings; exit code 1 when any card number was found. */
export async function vaultScanCommand(vault: Vault, io: CliIo): Promise<number> {
  const r = await vault.scan();
  if (r.ok) {
    io.out(`vault scan ok: ${r.columnsScanned} columns, no card numbers outside the vault`);
    return 0;
  }
  io.err(`vault scan FOUND ${r.findingCount} card number(s) outside the vault:`);
  for (const f of r.findings) io.err(`  ${f.table}.${f.column} row ${f.row}: ${f.masked}`);
  io.err(`incident ${r.incidentId} opened`);
  return r.exitCode;
}

/** `kinko keys rotate`: new KEK version, every data key re-wrapped, unused versions retired. */
export async function keysRotateCommand(vault: Vault, io: CliIo): Promise<number> {
  const r = await vault.rotateKeys();
  io.out(`vault KEK version ${r.newVersion} is current; ${r.rewrapped} data key(s) re-wrapped`);
  if (r.retired.length > 0) io.out(`retired KEK version(s) ${r.retired.join(', ')}`);
  if (r.remaining.length > 0) {
    const left = r.remaining.map((x) => `v${x.version}: ${x.cards}`).join(', ');
    io.err(`data keys still on older versions (${left}); run kinko keys rotate again`);
    return 1;
  }
  return 0;
}
