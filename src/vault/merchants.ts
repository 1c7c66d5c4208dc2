import { createHash } from 'node:crypto';
import type { Db } from '../db/index.ts';
import type { Clock } from '../lib/clock.ts';
import { secretToken } from '../lib/ids.ts';
import * as store from './store.ts';

// What the vault needs to know about merchants, as an interface the merchants module will
// implement (API keys, origins, whether a merchant may hold card data). Until then a small
// table-backed registry (vault_merchant_registry) stands in for it.

export interface PublishableKeyInfo {
  merchantId: string;
  /** Origins (scheme://host[:port]) whose pages may embed the hosted card fields. */
  allowedOrigins: string[];
}

export interface SecretKeyInfo {
  merchantId: string;
  /** Explicitly flagged as allowed to send card data server-to-server (PCI DSS SAQ D). */
  cardDataCapable: boolean;
}

export interface MerchantDirectory {
  resolvePublishableKey(pk: string): Promise<PublishableKeyInfo | undefined>;
  resolveSecretKey(sk: string): Promise<SecretKeyInfo | undefined>;
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export function tableMerchantDirectory(db: Db): MerchantDirectory {
  return {
    resolvePublishableKey: async (pk) => {
      if (!/^pk_[A-Za-z0-9_-]{16,64}$/.test(pk)) return undefined;
      const m = await store.merchantByPublishableKey(db, pk);
      return m ? { merchantId: m.merchant_id, allowedOrigins: m.allowed_origins } : undefined;
    },
    resolveSecretKey: async (sk) => {
      if (!/^sk_[A-Za-z0-9_-]{16,64}$/.test(sk)) return undefined;
      const m = await store.merchantBySecretHash(db, sha256(sk));
      return m ? { merchantId: m.merchant_id, cardDataCapable: m.card_data_capable } : undefined;
    },
  };
}

const ORIGIN_RE = /^https?:\/\/[^/?#\s]+$/;

export function isOrigin(text: string): boolean {
  if (!ORIGIN_RE.test(text)) return false;
  try {
    return new URL(text).origin === text;
  } catch {
    return false;
  }
}

/** Registers a merchant in the stand-in registry; returns its keys (the secret only once). */
export async function registerMerchant(
  db: Db,
  clock: Clock,
  input: { merchantId: string; allowedOrigins: string[]; cardDataCapable?: boolean },
): Promise<{ publishableKey: string; secretKey: string }> {
  for (const o of input.allowedOrigins) {
    if (!isOrigin(o)) throw new Error(`not an origin: ${o}`);
  }
  const publishableKey = secretToken('pk', 18);
  const secretKey = secretToken('sk', 24);
  await store.insertMerchant(
    db,
    {
      merchant_id: input.merchantId,
      publishable_key: publishableKey,
      secret_key_sha256: sha256(secretKey),
      allowed_origins: input.allowedOrigins,
      card_data_capable: input.cardDataCapable ?? false,
    },
    clock.now(),
  );
  return { publishableKey, secretKey };
}
