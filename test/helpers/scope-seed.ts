import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Sql } from '../../src/db/index.ts';

// Rows of a small platform for scope tests, written straight into the tables as their
// owners would (sessions, devices, cards, top-ups, payments, web payments).

let n = 0;
const next = () => (++n).toString().padStart(16, '0');

export async function customer(sql: Sql, at: Date): Promise<string> {
  const id = randomUUID();
  await sql`insert into identity_customers (id, email, phone, password_hash, created_at,
    updated_at) values (${id}, ${`c${next()}@example.com`}, ${`+8170${next().slice(-8)}`},
    'x', ${at}, ${at})`;
  return id;
}

export async function signIn(
  sql: Sql,
  s: { customerId: string; deviceId: string; ip: string; at: Date },
): Promise<string> {
  const id = randomUUID();
  await sql`insert into identity_sessions (id, customer_id, token_hash, device_id, created_at,
    last_seen_at, expires_at, source_ip) values (${id}, ${s.customerId}, ${randomBytes(32)},
    ${s.deviceId}, ${s.at}, ${s.at}, ${new Date(s.at.getTime() + 3_600_000)}, ${s.ip})`;
  return id;
}

export interface SeedCard {
  token: string;
  fingerprint: string;
}

export async function card(
  sql: Sql,
  c: { brand: string; bin: string; last4: string; customerId: string; same?: SeedCard },
): Promise<SeedCard> {
  const token = `card_${next()}${next()}`;
  const fingerprint = c.same?.fingerprint ?? createHash('sha256').update(token).digest('hex');
  await sql`insert into vault_cards (token, customer_id, brand, bin, last4, fingerprint,
    ciphertext, wrapped_key, kek_version, created_at) values (${token}, ${c.customerId},
    ${c.brand}, ${c.bin}, ${c.last4}, ${Buffer.from(fingerprint, 'hex')}, ${randomBytes(40)},
    ${randomBytes(60)}, 1, now())`;
  return { token, fingerprint };
}

export async function topup(
  sql: Sql,
  t: {
    customerId: string;
    deviceId: string;
    card: SeedCard;
    yen: number;
    at: Date;
    failed?: boolean;
  },
): Promise<string> {
  const id = `tu_${next()}`;
  await sql`insert into payments_topups (id, customer_id, device_id, card_token, amount_minor,
    currency, status, transfer_id, risk_decision, created_at, updated_at) values (${id},
    ${t.customerId}, ${t.deviceId}, ${t.card.token}, ${t.yen}, 'JPY',
    ${t.failed ? 'failed' : 'succeeded'}, ${randomUUID()}, 'allow', ${t.at}, ${t.at})`;
  return id;
}

export async function payment(
  sql: Sql,
  p: {
    customerId: string;
    deviceId: string;
    merchantId: string;
    storeId: string;
    yen: number;
    at: Date;
  },
): Promise<string> {
  const id = `pay_${next()}`;
  await sql`insert into payments_payments (id, method, merchant_id, store_id, terminal_id,
    customer_id, device_id, amount_minor, currency, transfer_id, risk_decision, created_at)
    values (${id}, 'cpm', ${p.merchantId}, ${p.storeId}, 'term_0000000000000001',
    ${p.customerId}, ${p.deviceId}, ${p.yen}, 'JPY', ${randomUUID()}, 'allow', ${p.at})`;
  return id;
}

export async function webPayment(
  sql: Sql,
  w: { merchantId: string; card: SeedCard; yen: number; at: Date },
): Promise<string> {
  const id = `pi_${next()}`;
  await sql`insert into checkout_payments (id, merchant_id, livemode, amount, currency,
    capture_method, status, card_token, amount_capturable, amount_received, created_at,
    updated_at) values (${id}, ${w.merchantId}, true, ${w.yen}, 'JPY', 'automatic',
    'succeeded', ${w.card.token}, 0, ${w.yen}, ${w.at}, ${w.at})`;
  return id;
}

/** The shop where the takeover wave's payments were made. */
export const WAVE_PLACE = { merchantId: 'mer_tobacco0000001', storeId: 'store_kabukicho0001' };

/**
 * A takeover wave from 203.0.113.0/24 on 2026-04-01 (UTC): customers a and b are signed in
 * from it on the attackers' devices (10:05, 10:10); a's visa 411111…1111 tops up ¥30,000
 * (10:06); a pays ¥25,000 (10:08) and b ¥45,000 (10:15) at WAVE_PLACE. Scope, compensation
 * and notices tests start from it and add what each needs.
 */
export async function takeoverWave(sql: Sql) {
  const T = (hhmm: string) => new Date(`2026-04-01T${hhmm}:00Z`);
  const [a, b] = [await customer(sql, T('08:00')), await customer(sql, T('08:00'))];
  const [devA, devB] = [randomUUID(), randomUUID()];
  await signIn(sql, { customerId: a, deviceId: devA, ip: '203.0.113.7', at: T('10:05') });
  await signIn(sql, { customerId: b, deviceId: devB, ip: '203.0.113.9', at: T('10:10') });
  const cardA = await card(sql, { brand: 'visa', bin: '411111', last4: '1111', customerId: a });
  await topup(sql, { customerId: a, deviceId: devA, card: cardA, yen: 30_000, at: T('10:06') });
  const place = WAVE_PLACE;
  await payment(sql, { customerId: a, deviceId: devA, ...place, yen: 25_000, at: T('10:08') });
  await payment(sql, { customerId: b, deviceId: devB, ...place, yen: 45_000, at: T('10:15') });
  return { a, b, devA, devB, cardA };
}
