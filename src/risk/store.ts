import type { Db, Tx } from '../db/index.ts';
import type { OwnLimits, Usage } from './rules.ts';

// The risk module's only SQL: the customer's own limits and the amounts used per local day
// and month (tables risk_customer_limits and risk_usage, migrations/0009).

export async function usageAndLimits(
  db: Db,
  customerId: string,
  kind: string,
  periods: { day: string; month: string },
): Promise<{ usage: Usage; own: OwnLimits | null }> {
  const rows = await db<
    {
      day_minor: bigint | null;
      month_minor: bigint | null;
      per_topup_minor: bigint | null;
      daily_minor: bigint | null;
      monthly_minor: bigint | null;
      own: boolean;
    }[]
  >`
    select
      (select amount_minor from risk_usage where customer_id = ${customerId} and kind = ${kind}
         and period = 'day' and period_start = ${periods.day}::date) as day_minor,
      (select amount_minor from risk_usage where customer_id = ${customerId} and kind = ${kind}
         and period = 'month' and period_start = ${periods.month}::date) as month_minor,
      l.per_topup_minor, l.daily_minor, l.monthly_minor, l.customer_id is not null as own
    from (select 1) one
    left join risk_customer_limits l on l.customer_id = ${customerId}`;
  const r = rows[0]!;
  return {
    usage: { dayMinor: r.day_minor ?? 0n, monthMinor: r.month_minor ?? 0n },
    own: r.own
      ? {
          perTopupMinor: r.per_topup_minor,
          dailyMinor: r.daily_minor,
          monthlyMinor: r.monthly_minor,
        }
      : null,
  };
}

/** Adds (or, with a negative amount, gives back) usage to the day and month rows. */
export async function addUsage(
  tx: Tx,
  u: { customerId: string; kind: string; amountMinor: bigint; count: number },
  periods: { day: string; month: string },
): Promise<void> {
  await tx`
    insert into risk_usage (customer_id, kind, period, period_start, amount_minor, count)
    values
      (${u.customerId}, ${u.kind}, 'day', ${periods.day}::date,
       greatest(${u.amountMinor.toString()}::int8, 0), greatest(${u.count}, 0)),
      (${u.customerId}, ${u.kind}, 'month', ${periods.month}::date,
       greatest(${u.amountMinor.toString()}::int8, 0), greatest(${u.count}, 0))
    on conflict (customer_id, kind, period, period_start) do update
      set amount_minor = greatest(risk_usage.amount_minor + ${u.amountMinor.toString()}::int8, 0),
          count = greatest(risk_usage.count + ${u.count}, 0)`;
}

export async function setOwnLimits(
  db: Db,
  customerId: string,
  own: OwnLimits,
  at: Date,
): Promise<void> {
  await db`
    insert into risk_customer_limits
      (customer_id, per_topup_minor, daily_minor, monthly_minor, updated_at)
    values (${customerId}, ${own.perTopupMinor?.toString() ?? null}::int8,
            ${own.dailyMinor?.toString() ?? null}::int8,
            ${own.monthlyMinor?.toString() ?? null}::int8, ${at})
    on conflict (customer_id) do update
      set per_topup_minor = excluded.per_topup_minor, daily_minor = excluded.daily_minor,
          monthly_minor = excluded.monthly_minor, updated_at = excluded.updated_at`;
}

/** Serialises one customer's assess-and-record against their concurrent top-ups. */
export async function lockCustomer(tx: Tx, customerId: string): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtextextended(${`risk:${customerId}`}, 0))`;
}
