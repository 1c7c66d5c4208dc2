import type { Db } from '../db/index.ts';
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

export async function insertMail(
  db: Db,
  m: { channel: Channel; address: string; subject: string; body: string; created_at: Date },
): Promise<void> {
  await db`insert into notify_dev_mailbox ${db(m)}`;
}

export async function mailFor(db: Db, address: string, limit: number): Promise<MailboxRow[]> {
  return db<MailboxRow[]>`select * from notify_dev_mailbox where address = ${address}
    order by id desc limit ${limit}`;
}
