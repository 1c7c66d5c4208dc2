import {
  apiKeyView,
  insertApiKey,
  type Actor,
  type ApiKeyView,
  type MerchantsDeps,
  type Source,
} from './merchants.ts';
import { checkOrigins } from './origins.ts';
import * as store from './store.ts';
import { merchantsError } from './errors.ts';

// Rolling and revoking API keys, and replacing allowed origins.
//
// Rolling issues a replacement with the same kind, mode and scopes, and lets the old key keep
// working until expires_at (the overlap period), so a merchant can deploy the new key
// without an outage. Revoking stops a key at once: it is the answer to a leaked key.

export async function rollApiKey(
  deps: MerchantsDeps,
  merchantId: string,
  keyId: string,
  input: { overlapSeconds?: number | undefined },
  actor: Actor,
  source?: Source,
): Promise<{ key: ApiKeyView; value: string; previous: ApiKeyView }> {
  const limits = deps.limits.merchants;
  const overlap = input.overlapSeconds ?? limits.apiKeyOverlapSecondsDefault;
  if (overlap < 0 || overlap > limits.apiKeyOverlapSecondsMax) {
    throw merchantsError('api_key_overlap_invalid', { param: 'overlap_seconds' });
  }
  return deps.sql.begin(async (tx) => {
    const now = deps.clock.now();
    const old = await store.apiKeyForUpdate(tx, keyId);
    if (!old || old.merchant_id !== merchantId) throw merchantsError('api_key_not_found');
    if (old.revoked_at || (old.expires_at && old.expires_at <= now)) {
      throw merchantsError('api_key_already_revoked');
    }
    const issued = await insertApiKey(
      deps,
      tx,
      merchantId,
      { kind: old.kind, mode: old.mode, name: old.name ?? undefined, scopes: old.scopes },
      actor,
      source,
    );
    // A key already expiring keeps the earlier of its own end and the new overlap.
    const end = new Date(now.getTime() + overlap * 1000);
    const expiresAt = old.expires_at && old.expires_at < end ? old.expires_at : end;
    await store.expireApiKey(tx, old.id, expiresAt, issued.key.id);
    await deps.audit.append(tx, [
      {
        action: 'merchants.api_key.rolled',
        actor,
        subject: { type: 'api_key', id: old.id },
        source,
        outcome: 'success',
        detail: { replaced_by: issued.key.id, expires_at: expiresAt.toISOString() },
      },
    ]);
    const previous = { ...old, expires_at: expiresAt, replaced_by: issued.key.id };
    return { ...issued, previous: apiKeyView(previous, now) };
  });
}

export async function revokeApiKey(
  deps: MerchantsDeps,
  merchantId: string,
  keyId: string,
  actor: Actor,
  source?: Source,
): Promise<ApiKeyView> {
  return deps.sql.begin(async (tx) => {
    const now = deps.clock.now();
    const key = await store.apiKeyForUpdate(tx, keyId);
    if (!key || key.merchant_id !== merchantId) throw merchantsError('api_key_not_found');
    if (key.revoked_at) throw merchantsError('api_key_already_revoked');
    await store.revokeApiKey(tx, key.id, now);
    await deps.audit.append(tx, [
      {
        action: 'merchants.api_key.revoked',
        actor,
        subject: { type: 'api_key', id: key.id },
        source,
        outcome: 'success',
        detail: { merchant_id: merchantId, display_prefix: key.display_prefix },
      },
    ]);
    return apiKeyView({ ...key, revoked_at: now }, now);
  });
}

export async function setAllowedOrigins(
  deps: MerchantsDeps,
  merchantId: string,
  origins: readonly string[],
  actor: Actor,
  source?: Source,
): Promise<string[]> {
  const checked = checkOrigins(origins, deps);
  return deps.sql.begin(async (tx) => {
    const m = await store.merchantById(tx, merchantId);
    if (!m) throw merchantsError('merchant_not_found');
    await store.replaceOrigins(tx, merchantId, checked, deps.clock.now());
    await deps.audit.append(tx, [
      {
        action: 'merchants.allowed_origins.replaced',
        actor,
        subject: { type: 'merchant', id: merchantId },
        source,
        outcome: 'success',
        detail: { allowed_origins: checked },
      },
    ]);
    return checked;
  });
}
