import { textArray, type Db } from '../db/index.ts';
import type { Channel } from './message.ts';

// Notify's only SQL: the development mailbox.

export interface MailboxRow {
  id: bigint;
  channel: Channel;
  address: string;
  subject: string;
  body: string;
  created_at: Date;
}

export interface NewMail {
  channel: Channel;
  address: string;
  subject: string;
  body: string;
  created_at: Date;
}

/** Inserts messages with one statement; their ids follow the order given. */
export async function insertMails(db: Db, rows: readonly NewMail[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <K extends keyof NewMail>(k: K) => rows.map((r) => r[k]);
  await db`
    insert into notify_dev_mailbox (channel, address, subject, body, created_at)
    select channel, address, subject, body, created_at
    from unnest(${textArray(col('channel'))}::text[], ${textArray(col('address'))}::text[],
                ${textArray(col('subject'))}::text[], ${textArray(col('body'))}::text[],
                ${col('created_at').map((d) => d.toISOString())}::timestamptz[])
      with ordinality as u(channel, address, subject, body, created_at, n)
    order by n`;
}

export async function mailFor(db: Db, address: string, limit: number): Promise<MailboxRow[]> {
  return db<MailboxRow[]>`select * from notify_dev_mailbox where address = ${address}
    order by id desc limit ${limit}`;
}
