import type { Source } from '../merchants.ts';
import { merchantsError } from '../errors.ts';
import { mayDo } from './access.ts';
import { at, commitThenThrow, personEntry, type TeamDeps } from './context.ts';
import * as store from './store.ts';

// A manager's approval at a register: the manager types their own email and a code from
// their own authenticator on the register, which then refunds in the manager's name. It
// replaces a secret API key typed into the register, which anyone at the counter could
// read and reuse. The code is counted exactly as a sign-in is — the same source and
// identifier throttles, the same lock after ten failures, no code accepted twice — and the
// manager must be allowed to refund at the register's own store.

export interface RegisterApproval {
  merchantId: string;
  storeId: string;
  terminalId: string;
  email: string;
  totpCode: string;
}

export async function approveAtRegister(
  deps: TeamDeps,
  input: RegisterApproval,
  source: Source,
): Promise<{ personId: string }> {
  const email = deps.kit.normalizeEmail(input.email) ?? input.email.trim().toLowerCase();
  const reservation = await deps.kit.reserve(source, email);
  return commitThenThrow(deps, async (tx) => {
    const p = await store.lockPersonByEmail(tx, email);
    const now = deps.clock.nowMs();
    const mine = p && p.merchant_id === input.merchantId ? p : undefined;
    const who = { personId: mine?.id ?? null, merchantId: input.merchantId };
    const detail = { terminal_id: input.terminalId, store_id: input.storeId };
    if (mine?.locked_until && mine.locked_until.getTime() > now) {
      await deps.audit.append(tx, [
        personEntry('merchants.person.register_approval', who, source, 'denied', detail),
      ]);
      const wait = Math.ceil((mine.locked_until.getTime() - now) / 1000);
      return merchantsError('person_locked', { extra: { retry_after_seconds: wait } });
    }
    const step = mine
      ? deps.kit.matchTotp(mine.id, mine.totp_secret_box, input.totpCode, mine.totp_last_step)
      : undefined;
    if (!mine || step === undefined) {
      const entries = [
        personEntry('merchants.person.register_approval', who, source, 'failure', detail),
        ...(await deps.kit.failed(tx, reservation, source)),
      ];
      if (mine) {
        const failures = mine.failures + 1;
        const lock = failures >= deps.kit.limits.failuresLockAfter;
        await store.personAttempt(tx, mine.id, {
          failures: lock ? 0 : failures,
          lockedUntil: lock ? at(deps, deps.kit.limits.lockSeconds) : null,
        });
      }
      await deps.audit.append(tx, entries);
      return merchantsError('manager_approval_invalid');
    }
    await deps.kit.succeeded(tx, reservation);
    await store.personAttempt(tx, mine.id, { failures: 0, lockedUntil: null, totpStep: step });
    const allowed = mayDo(mine.role, 'register.refund');
    const atStore = mine.role !== 'store_manager' || mine.store_ids.includes(input.storeId);
    const outcome = allowed && atStore ? 'success' : 'denied';
    await deps.audit.append(tx, [
      personEntry('merchants.person.register_approval', who, source, outcome, {
        ...detail,
        role: mine.role,
      }),
    ]);
    if (!allowed) return merchantsError('person_access_denied');
    if (!atStore) return merchantsError('person_store_denied');
    return { personId: mine.id };
  });
}
