import {
  insertApiKey,
  insertMerchant,
  insertStore,
  insertTerminal,
  type Actor,
  type ApiKeyView,
  type MerchantsDeps,
  type Source,
  type StoreInput,
  type StoreView,
  type TerminalView,
} from './merchants.ts';
import type { Tx } from '../db/index.ts';
import type { KeyMode } from './keys.ts';
import * as store from './store.ts';

// Creating a merchant with everything it needs to start, in one transaction: a secret key
// and a publishable key, and optionally a first store with one terminal.

export interface CreateMerchantInput {
  name: string;
  /** live for production traffic; test keys for integration. Default live. */
  mode?: KeyMode | undefined;
  cardDataCapable?: boolean | undefined;
  allowedOrigins?: readonly string[] | undefined;
  store?: (StoreInput & { terminalName?: string | undefined }) | undefined;
}

export interface CreatedMerchant {
  merchantId: string;
  name: string;
  /** Shown once: only its hash is kept. */
  secretKey: string;
  publishableKey: string;
  keys: ApiKeyView[];
  allowedOrigins: string[];
  store?: StoreView | undefined;
  terminal?: TerminalView | undefined;
  /** Shown once: only its hash is kept. */
  terminalSecret?: string | undefined;
}

export async function createMerchant(
  deps: MerchantsDeps,
  input: CreateMerchantInput & { demo?: boolean },
  actor: Actor,
  source?: Source,
): Promise<CreatedMerchant> {
  return deps.sql.begin((tx) => createMerchantIn(deps, tx, input, actor, source));
}

/** createMerchant inside the caller's transaction. */
export async function createMerchantIn(
  deps: MerchantsDeps,
  tx: Tx,
  input: CreateMerchantInput & { demo?: boolean },
  actor: Actor,
  source?: Source,
): Promise<CreatedMerchant> {
  const mode = input.mode ?? 'live';
  const m = await insertMerchant(deps, tx, input, actor, source);
  const sk = await insertApiKey(deps, tx, m.id, { kind: 'secret', mode }, actor, source);
  const pk = await insertApiKey(deps, tx, m.id, { kind: 'publishable', mode }, actor, source);
  const created: CreatedMerchant = {
    merchantId: m.id,
    name: m.name,
    secretKey: sk.value,
    publishableKey: pk.value,
    keys: [sk.key, pk.key],
    allowedOrigins: await store.listOrigins(tx, m.id),
  };
  if (input.store) {
    created.store = await insertStore(deps, tx, m.id, input.store, actor, source);
    const t = await insertTerminal(
      deps,
      tx,
      m.id,
      // A merchant set up for testing gets a test register: it must not take wallet money.
      { storeId: created.store.id, name: input.store.terminalName ?? 'Register 1', mode },
      actor,
      source,
    );
    created.terminal = t.terminal;
    created.terminalSecret = t.secret;
  }
  return created;
}

/** Lines for a terminal: every secret is labelled as shown once. */
export function describeCreated(c: CreatedMerchant): string[] {
  const lines = [
    `merchant        ${c.merchantId}  ${c.name}`,
    `secret key      ${c.secretKey}   (shown once; store it now)`,
    `publishable key ${c.publishableKey}`,
  ];
  if (c.allowedOrigins.length) lines.push(`allowed origins ${c.allowedOrigins.join(' ')}`);
  if (c.store) lines.push(`store           ${c.store.id}  ${c.store.name} (MCC ${c.store.mcc})`);
  if (c.terminal && c.terminalSecret) {
    lines.push(
      `terminal        ${c.terminal.id}  ${c.terminal.name} (${c.terminal.mode})`,
      `terminal secret ${c.terminalSecret}   (shown once; store it now)`,
    );
  }
  return lines;
}
