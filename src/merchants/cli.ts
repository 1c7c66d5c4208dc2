import { parseArgs } from 'node:util';
import { KinkoError } from '../lib/errors.ts';
import { createMerchantIn, describeCreated } from './create.ts';
import { inviteIn } from './team/invitations.ts';
import type { MerchantsDeps } from './merchants.ts';

// `kinko merchants create`: a merchant with its keys printed once, and its owner's one-time
// invitation link: the owner opens it, sets a password and enrols an authenticator, and
// invites the rest of the team from the dashboard. The link also goes to the owner by email.
// Exit codes: 0 created, 1 refused (a named error), 2 bad usage.

export const MERCHANTS_CREATE_USAGE =
  'kinko merchants create --name NAME --owner-email EMAIL [--mode live|test] ' +
  '[--origin ORIGIN]... ' +
  '[--store NAME --mcc NNNN --city CITY --postal-code CODE [--terminal NAME]] ' +
  '[--card-data-capable]';

const OPTIONS = {
  name: { type: 'string' },
  'owner-email': { type: 'string' },
  mode: { type: 'string' },
  origin: { type: 'string', multiple: true },
  store: { type: 'string' },
  mcc: { type: 'string' },
  city: { type: 'string' },
  'postal-code': { type: 'string' },
  terminal: { type: 'string' },
  'card-data-capable': { type: 'boolean' },
} as const;

type Parsed = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

function storeOf(v: Parsed) {
  if (v.store === undefined) return undefined;
  if (!v.mcc || !/^[0-9]{4}$/.test(v.mcc) || !v.city || !v['postal-code']) return null;
  return {
    name: v.store,
    mcc: v.mcc,
    city: v.city,
    postalCode: v['postal-code'],
    terminalName: v.terminal,
  };
}

export async function createMerchantCommand(
  deps: MerchantsDeps,
  args: string[],
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  let v: Parsed;
  try {
    v = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (e) {
    err(`${(e as Error).message}\nusage: ${MERCHANTS_CREATE_USAGE}`);
    return 2;
  }
  const store = storeOf(v);
  const mode = v.mode ?? 'live';
  const ownerEmail = v['owner-email'];
  if (!v.name || !ownerEmail || store === null || (mode !== 'live' && mode !== 'test')) {
    err(`usage: ${MERCHANTS_CREATE_USAGE}`);
    return 2;
  }
  try {
    const input = {
      name: v.name,
      mode,
      allowedOrigins: v.origin ?? [],
      cardDataCapable: v['card-data-capable'] ?? false,
      store,
    } as const;
    const { created, link } = await deps.sql.begin(async (tx) => {
      const made = await createMerchantIn(deps, tx, input, { type: 'cli' });
      const owner = { merchantId: made.merchantId, email: ownerEmail, role: 'owner' as const };
      const invited = await inviteIn(deps, tx, null, owner, undefined);
      return { created: made, link: invited.link };
    });
    for (const line of describeCreated(created)) out(line);
    out(`owner invitation ${link}   (one-time link; expires; also sent by email)`);
    return 0;
  } catch (e) {
    if (!(e instanceof KinkoError)) throw e;
    err(`refused: ${e.code}: ${e.message}${e.param ? ` (${e.param})` : ''}`);
    return 1;
  }
}
