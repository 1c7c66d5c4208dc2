import type { TOptional, TSchema } from 'typebox';
import { httpError } from './errors.ts';
import { closed, id, Type } from './schema.ts';

// Lists in the merchant API, paged one way everywhere: newest first, `limit`, id cursors
// (`starting_after` / `ending_before`), `created[gte|gt|lte|lt]` in unix seconds, and
// `has_more`. The query schema, its parsing, and the page shape live here so web payments
// and wallet payments page identically.

const unix = Type.Integer({ minimum: 0, maximum: 253402300799 });
const LIMIT_DEFAULT = 10;

/**
 * The query schema of a list whose cursors are ids with prefix `cursor`, plus `extra`: every
 * parameter of a list is optional (Type.Optional), which the type of `extra` insists on.
 */
export const listQuery = <P extends Record<string, TOptional<TSchema>>>(extra: P, cursor: string) =>
  closed({
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: LIMIT_DEFAULT })),
    starting_after: Type.Optional(id(cursor)),
    ending_before: Type.Optional(id(cursor)),
    'created[gte]': Type.Optional(unix),
    'created[gt]': Type.Optional(unix),
    'created[lte]': Type.Optional(unix),
    'created[lt]': Type.Optional(unix),
    ...extra,
  });

/** A list's query as validated: what every listQuery schema has in common. */
export interface ListRawQuery {
  limit?: number | undefined;
  starting_after?: string | undefined;
  ending_before?: string | undefined;
  'created[gte]'?: number | undefined;
  'created[gt]'?: number | undefined;
  'created[lte]'?: number | undefined;
  'created[lt]'?: number | undefined;
  status?: string | undefined;
  payment?: string | undefined;
}

export interface CreatedQuery {
  gte?: number | undefined;
  gt?: number | undefined;
  lte?: number | undefined;
  lt?: number | undefined;
}

export interface ListQuery {
  limit: number;
  startingAfter?: string | undefined;
  endingBefore?: string | undefined;
  status?: string | undefined;
  payment?: string | undefined;
  created?: CreatedQuery | undefined;
}

export function listQueryOf(q: ListRawQuery): ListQuery {
  if (q.starting_after !== undefined && q.ending_before !== undefined) {
    throw httpError('parameter_invalid', {
      param: 'ending_before',
      message: 'Use starting_after or ending_before, not both.',
    });
  }
  return {
    limit: q.limit ?? LIMIT_DEFAULT,
    startingAfter: q.starting_after,
    endingBefore: q.ending_before,
    status: q.status,
    payment: q.payment,
    created: {
      gte: q['created[gte]'],
      gt: q['created[gt]'],
      lte: q['created[lte]'],
      lt: q['created[lt]'],
    },
  };
}

export interface Page<V> {
  object: 'list';
  data: V[];
  has_more: boolean;
}

/** Rows read with limit + 1, newest first (or oldest first for ending_before). */
export function pageOf<R, V>(rows: R[], limit: number, ascending: boolean, view: (r: R) => V) {
  const has_more = rows.length > limit;
  const kept = rows.slice(0, limit);
  if (ascending) kept.reverse();
  return { object: 'list', data: kept.map(view), has_more } satisfies Page<V>;
}

/** created[gte|gt|lte|lt] in unix seconds → a half-open range [from, to) of instants. */
export function createdRange(q: CreatedQuery): { from?: Date; to?: Date } {
  const lows = [q.gte, q.gt === undefined ? undefined : q.gt + 1].filter(
    (x): x is number => x !== undefined,
  );
  const highs = [q.lt, q.lte === undefined ? undefined : q.lte + 1].filter(
    (x): x is number => x !== undefined,
  );
  const out: { from?: Date; to?: Date } = {};
  if (lows.length > 0) out.from = new Date(Math.max(...lows) * 1000);
  if (highs.length > 0) out.to = new Date(Math.min(...highs) * 1000);
  return out;
}
