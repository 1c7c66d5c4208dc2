import type { Tx } from '../../db/index.ts';
import { publicId, secretToken, uuidv7 } from '../../lib/ids.ts';
import { NOTIFY_TOPIC } from '../../notify/index.ts';
import type { Source } from '../merchants.ts';
import { merchantsError } from '../errors.ts';
import * as merchantStore from '../store.ts';
import { mayManage, type MerchantRole } from './access.ts';
import { at, commitThenThrow, personEntry, type TeamDeps } from './context.ts';
import { invitationMessage } from './messages.ts';
import { openSession, type PersonSession, type SignedIn } from './people.ts';
import * as store from './store.ts';

// Invitations: an owner or admin invites a person by email with a role; the link (a 256-bit
// token, kept as its SHA-256, in the URL's fragment so it never reaches a server log)
// expires after invitationSecondsMax. Accepting is two steps: choose a password and receive
// an authenticator secret, then prove the authenticator with a code. Only then does the
// person exist — with both factors — and get a session and recovery codes, shown once.

interface Invite {
  merchantId: string;
  email: string;
  role: MerchantRole;
  storeIds?: readonly string[] | undefined;
}

interface InvitationView {
  id: string;
  email: string;
  role: MerchantRole;
  store_ids: string[];
  expires_at: string;
  created_at: string;
}

const invitationView = (i: store.InvitationRow): InvitationView => ({
  id: i.id,
  email: i.email,
  role: i.role,
  store_ids: i.store_ids,
  expires_at: i.expires_at.toISOString(),
  created_at: i.created_at.toISOString(),
});

async function checkStores(tx: Tx, merchantId: string, role: MerchantRole, ids: string[]) {
  const own = new Set(await store.storesOfMerchant(tx, merchantId));
  const ok =
    role === 'store_manager' ? ids.length > 0 && ids.every((s) => own.has(s)) : !ids.length;
  if (!ok) throw merchantsError('store_ids_invalid', { param: 'store_ids' });
}

/**
 * Invites in the caller's transaction; the email leaves through the outbox with it. `by` is
 * the inviting person, or null for `kinko merchants create` (which alone invites an owner).
 * Returns the link, for the command line to print; a person inviting gets only the email.
 */
export async function inviteIn(
  deps: TeamDeps,
  tx: Tx,
  by: PersonSession | null,
  input: Invite,
  source: Source | undefined,
): Promise<{ invitation: InvitationView; link: string }> {
  const email = deps.kit.normalizeEmail(input.email);
  if (!email) throw merchantsError('person_email_invalid', { param: 'email' });
  if (by ? !mayManage(by.role, input.role) : input.role !== 'owner') {
    throw merchantsError('person_not_manageable', { param: 'role' });
  }
  const storeIds = [...new Set(input.storeIds ?? [])];
  await checkStores(tx, input.merchantId, input.role, storeIds);
  if (await store.personByEmail(tx, email)) throw merchantsError('person_exists');
  const merchant = await merchantStore.merchantById(tx, input.merchantId);
  if (!merchant) throw merchantsError('merchant_not_found');
  const token = secretToken('kmi');
  const row = {
    id: publicId('inv', 16),
    merchant_id: input.merchantId,
    email,
    role: input.role,
    store_ids: storeIds,
    token_hash: deps.kit.tokenHash(token),
    person_id: uuidv7(deps.clock.nowMs()),
    invited_by: by?.personId ?? null,
    created_at: at(deps),
    expires_at: at(deps, deps.limits.merchants.invitationSecondsMax),
  };
  await store.insertInvitation(tx, row);
  const link = `${deps.publicOrigin}/dashboard/#/invite/${token}`;
  const message = invitationMessage(email, merchant.name, input.role, link, row.expires_at);
  await deps.outbox.enqueue(tx, [{ topic: NOTIFY_TOPIC, key: email, payload: message }]);
  const who = { personId: by?.personId ?? null, merchantId: input.merchantId };
  const entry = personEntry('merchants.person.invited', who, source, 'success', {
    invitation_id: row.id,
    role: input.role,
    store_ids: storeIds,
  });
  await deps.audit.append(tx, [by ? entry : { ...entry, actor: { type: 'cli' } }]);
  return { invitation: invitationView({ ...row, ...NOT_YET }), link };
}

const NOT_YET = {
  pending_password_hash: null,
  pending_totp_box: null,
  accepted_at: null,
  revoked_at: null,
};

function usable(deps: TeamDeps, i: store.InvitationRow | undefined): i is store.InvitationRow {
  return !!i && !i.accepted_at && !i.revoked_at && i.expires_at.getTime() > deps.clock.nowMs();
}

/** Step 1: the password is set aside and an authenticator secret shown, to be proven. */
export async function startAcceptance(
  deps: TeamDeps,
  token: string,
  password: string,
): Promise<{ email: string; role: MerchantRole; totpSecret: string; otpauthUri: string }> {
  const hash = deps.kit.tokenHash(token);
  const found = await deps.sql.begin((tx) => store.lockInvitationByToken(tx, hash));
  if (!usable(deps, found)) throw merchantsError('invitation_invalid');
  const passwordHash = await deps.kit.hashPassword(password);
  const totp = deps.kit.newTotp(found.person_id, found.email);
  await commitThenThrow(deps, async (tx) => {
    const i = await store.lockInvitationByToken(tx, hash);
    if (!usable(deps, i)) return merchantsError('invitation_invalid');
    await store.setPending(tx, i.id, passwordHash, totp.box);
    return undefined;
  });
  return {
    email: found.email,
    role: found.role,
    totpSecret: totp.secret,
    otpauthUri: totp.otpauthUri,
  };
}

/** Step 2: a code from the new authenticator; the person is created and signed in. */
export async function confirmAcceptance(
  deps: TeamDeps,
  token: string,
  totpCode: string,
  source: Source,
): Promise<SignedIn & { recoveryCodes: string[] }> {
  const hash = deps.kit.tokenHash(token);
  return commitThenThrow(deps, async (tx) => {
    const i = await store.lockInvitationByToken(tx, hash);
    if (!usable(deps, i) || !i.pending_password_hash || !i.pending_totp_box) {
      return merchantsError('invitation_invalid');
    }
    const step = deps.kit.matchTotp(i.person_id, i.pending_totp_box, totpCode, null);
    if (step === undefined) return merchantsError('totp_code_invalid', { param: 'totp_code' });
    const person = {
      id: i.person_id,
      merchant_id: i.merchant_id,
      email: i.email,
      role: i.role,
      store_ids: i.store_ids,
    };
    const inserted = await store.insertPerson(tx, {
      ...person,
      password_hash: i.pending_password_hash,
      totp_secret_box: i.pending_totp_box,
      totp_last_step: step,
      created_at: at(deps),
      invited_by: i.invited_by,
    });
    if (!inserted) return merchantsError('person_exists');
    const codes = deps.kit.recoveryCodes();
    await store.insertRecoveryCodes(tx, i.person_id, codes.hashes);
    await store.markAccepted(tx, i.id, at(deps));
    const who = { personId: i.person_id, merchantId: i.merchant_id };
    await deps.audit.append(tx, [
      personEntry('merchants.person.joined', who, source, 'success', {
        invitation_id: i.id,
        role: i.role,
        invited_by: i.invited_by,
      }),
    ]);
    const signedIn = await openSession(deps, tx, person, 'totp', source);
    return { ...signedIn, recoveryCodes: codes.codes };
  });
}

export async function revokeInvitation(
  deps: TeamDeps,
  by: PersonSession,
  id: string,
  source: Source,
): Promise<void> {
  await commitThenThrow(deps, async (tx) => {
    const i = await store.lockInvitation(tx, id);
    if (!i || i.merchant_id !== by.merchantId || !usable(deps, i)) {
      return merchantsError('invitation_not_found');
    }
    if (!mayManage(by.role, i.role)) return merchantsError('person_not_manageable');
    await store.markRevoked(tx, i.id, at(deps));
    await deps.audit.append(tx, [
      personEntry('merchants.person.invitation_revoked', by, source, 'success', {
        invitation_id: i.id,
      }),
    ]);
    return undefined;
  });
}

export async function listTeam(deps: TeamDeps, merchantId: string) {
  const [people, invitations] = await Promise.all([
    store.listPeople(deps.sql, merchantId),
    store.openInvitations(deps.sql, merchantId, at(deps)),
  ]);
  return {
    people: people.map((p) => ({
      id: p.id,
      email: p.email,
      role: p.role,
      store_ids: p.store_ids,
      locked: !!p.locked_until && p.locked_until.getTime() > deps.clock.nowMs(),
      created_at: p.created_at.toISOString(),
    })),
    invitations: invitations.map(invitationView),
  };
}
