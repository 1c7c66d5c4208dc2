import type { Db } from './sql.ts';

// One page of a table with a `seq` column, as the list endpoints page (http/lists.ts): newest
// first; rows older than a `starting_after` object's seq, or newer than an `ending_before`
// one's (read oldest first, so the page is the nearest ones); a creation range. The modules'
// stores name the table and the column conditions; table and column names come from code only.

export interface SeqPage {
  limit: number;
  /** seq of the starting_after object: rows older than it. */
  beforeSeq?: bigint | undefined;
  /** seq of the ending_before object: rows newer than it. */
  afterSeq?: bigint | undefined;
  createdGte?: Date | undefined;
  createdLt?: Date | undefined;
}

/** Column = value conditions; a value left undefined is no condition. */
type Equal = Readonly<Record<string, string | boolean | undefined>>;

function whereEqual(db: Db, equal: Equal) {
  let where = db`true`;
  for (const [column, value] of Object.entries(equal)) {
    if (value !== undefined) where = db`${where} and ${db(column)} = ${value}`;
  }
  return where;
}

/** limit + 1 rows are read so the caller knows whether there are more. */
export async function listBySeq<T>(db: Db, table: string, equal: Equal, f: SeqPage): Promise<T[]> {
  const newer = f.afterSeq !== undefined;
  const rows = await db`
    select * from ${db(table)}
    where ${whereEqual(db, equal)}
      ${f.beforeSeq !== undefined ? db`and seq < ${f.beforeSeq}` : db``}
      ${newer ? db`and seq > ${f.afterSeq!}` : db``}
      ${f.createdGte !== undefined ? db`and created_at >= ${f.createdGte}` : db``}
      ${f.createdLt !== undefined ? db`and created_at < ${f.createdLt}` : db``}
    order by seq ${newer ? db`asc` : db`desc`}
    limit ${f.limit + 1}`;
  return rows as unknown as T[];
}

/** The seq of the row with this id among those the conditions allow: a cursor's position. */
export async function seqOfRow(
  db: Db,
  table: string,
  equal: Equal,
  id: string,
): Promise<bigint | undefined> {
  const [row] = await db<{ seq: bigint }[]>`
    select seq from ${db(table)} where id = ${id} and ${whereEqual(db, equal)}`;
  return row?.seq;
}
