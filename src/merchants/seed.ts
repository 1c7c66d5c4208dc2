import { createMerchantIn, describeCreated } from './create.ts';
import { rollApiKey } from './manage.ts';
import { insertApiKey, resetTerminalSecret, type MerchantsDeps } from './merchants.ts';
import * as store from './store.ts';
import { inviteIn } from './team/invitations.ts';
import * as teamStore from './team/store.ts';

// The development demo merchant, seeded at start-up so that a fresh checkout can take a
// payment at once.
//
// Secrets exist in clear only when they are created, so only the first start can print them.
// Later starts print that the demo exists, with ids and key prefixes, and do NOT rotate:
// rotating on every start would silently break a register app or shop a developer set up
// with the keys printed earlier. A developer who lost them asks for `rotate: true`
// (KINKO_DEMO_ROTATE=1 at the composition root): the secret key is rolled (the old one keeps
// working for the usual overlap) and the terminal gets a new secret.

export interface DemoSeed {
  created: boolean;
  rotated: boolean;
  merchantId: string;
  /** The demo's publishable key (not a secret): the wallet mounts hosted card fields with it. */
  publishableKey: string | undefined;
  /** Lines to print; secrets appear only when created or rotated. */
  lines: string[];
}

/** The demo's owner: the dev mailbox (GET /dev/mailbox?to=…) receives its invitation. */
const DEMO_OWNER_EMAIL = 'owner@demo.kinko.example';

/**
 * The demo owner's one-time invitation link, while the demo has no owner yet: a fresh one
 * at each start until someone accepts one (older links keep working until they expire).
 */
async function ownerInvitation(deps: MerchantsDeps, merchantId: string): Promise<string[]> {
  if (await teamStore.hasOwner(deps.sql, merchantId)) return [];
  const owner = { merchantId, email: DEMO_OWNER_EMAIL, role: 'owner' as const };
  const { link } = await deps.sql.begin((tx) => inviteIn(deps, tx, null, owner, undefined));
  return [`owner invitation ${link}   (${DEMO_OWNER_EMAIL}; sign in to /dashboard with it)`];
}

// Live keys: the demo's register takes wallet payments, which move real wallet money and are
// refused to test-mode keys, so a test-mode demo could never see or refund its own sales.
// In development "live" still reaches only the built-in card network simulator.
const DEMO = {
  name: 'Kinko Demo Shop',
  mode: 'live' as const,
  store: {
    name: 'Kinko Demo Store Marunouchi',
    mcc: '5411',
    city: 'Tokyo',
    postalCode: '100-0005',
    terminalName: 'Register 1',
  },
};

export async function seedDemoMerchant(
  deps: MerchantsDeps,
  options: { rotate?: boolean; allowedOrigins?: readonly string[] } = {},
): Promise<DemoSeed> {
  const actor = { type: 'system' as const, id: 'demo-seed' };
  const existing = await deps.sql.begin(async (tx) => {
    // Two processes starting at once must not both create a demo merchant.
    await store.lockDemoSeed(tx);
    const found = await store.demoMerchant(tx);
    if (found) return found;
    return createMerchantIn(
      deps,
      tx,
      { ...DEMO, allowedOrigins: options.allowedOrigins ?? [], demo: true },
      actor,
    );
  });
  if ('secretKey' in existing) {
    const lines = ['demo merchant created (development only):', ...describeCreated(existing)];
    lines.push(...(await ownerInvitation(deps, existing.merchantId)));
    return {
      created: true,
      rotated: false,
      merchantId: existing.merchantId,
      publishableKey: existing.publishableKey,
      lines,
    };
  }
  const merchantId = existing.id;
  const keys = await store.listApiKeys(deps.sql, merchantId);
  const now = deps.clock.now();
  const usable = keys.filter((k) => !k.revoked_at && (!k.expires_at || k.expires_at > now));
  const terminals = await store.listTerminals(deps.sql, merchantId, 1);
  const publishableKey = usable.find((k) => k.kind === 'publishable')?.publishable_key ?? undefined;
  const lines = [`demo merchant ${merchantId} exists; its secrets were printed when created.`];
  lines.push(...(await ownerInvitation(deps, merchantId)));
  // A demo seeded before its keys were live gets a live secret key, shown this once.
  if (!usable.some((k) => k.kind === 'secret' && k.mode === 'live')) {
    const live = await deps.sql.begin((tx) =>
      insertApiKey(deps, tx, merchantId, { kind: 'secret', mode: 'live' }, actor),
    );
    lines.push(`secret key      ${live.value}   (new, live: wallet payments; shown once)`);
  }
  if (!options.rotate) {
    for (const k of usable) lines.push(`  ${k.kind} key ${k.id} ${k.display_prefix}…`);
    for (const t of terminals) lines.push(`  terminal ${t.id} ${t.secret_prefix}…`);
    lines.push('  set KINKO_DEMO_ROTATE=1 to issue new demo secrets.');
    return { created: false, rotated: false, merchantId, publishableKey, lines };
  }
  for (const k of usable.filter((u) => u.kind === 'secret' && !u.expires_at)) {
    const rolled = await rollApiKey(deps, merchantId, k.id, {}, actor);
    lines.push(`secret key      ${rolled.value}   (new; shown once)`);
  }
  for (const k of usable.filter((u) => u.kind === 'publishable')) {
    lines.push(`publishable key ${k.publishable_key ?? ''}`);
  }
  for (const t of terminals) {
    const secret = await deps.sql.begin((tx) => resetTerminalSecret(deps, tx, t.id, actor));
    lines.push(`terminal        ${t.id}`, `terminal secret ${secret}   (new; shown once)`);
  }
  return { created: false, rotated: true, merchantId, publishableKey, lines };
}
