import { httpError } from './errors.ts';

// Lists in the merchant API, paged one way everywhere: newest first, `limit`, id cursors
// (`starting_after` / `ending_before`), `created[gte|gt|lte|lt]` in unix seconds, and
// `has_more`. The query schema, its parsing, and the page shape live here so web payments
// and wallet payments page identically.

const closed = (properties: Record<string, unknown>) => ({
  type: 'object',
  additionalProperties: false,
  properties,
  required: [],
});
const id = (prefix: string) => ({ type: 'string', pattern: `^${prefix}_[A-Za-z0-9_-]{8,64}$` });
const unix = { type: 'integer', minimum: 0, maximum: 253402300799 };

/** The query schema of a list whose cursors are ids with prefix `cursor`, plus `extra`. */
export const listQuery = (extra: Record<string, unknown>, cursor: string) =>
  closed({
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
    starting_after: id(cursor),
    ending_before: id(cursor),
    'created[gte]': unix,
    'created[gt]': unix,
    'created[lte]': unix,
    'created[lt]': unix,
    ...extra,
  });

export type RawQuery = Record<string, string | number | undefined> & { limit: number };

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

export function listQueryOf(q: RawQuery): ListQuery {
  if (q['starting_after'] !== undefined && q['ending_before'] !== undefined) {
    throw httpError('parameter_invalid', {
      param: 'ending_before',
      message: 'Use starting_after or ending_before, not both.',
    });
  }
  const n = (k: string) => (q[k] === undefined ? undefined : Number(q[k]));
  const s = (k: string) => (q[k] === undefined ? undefined : String(q[k]));
  return {
    limit: q.limit,
    startingAfter: s('starting_after'),
    endingBefore: s('ending_before'),
    status: s('status'),
    payment: s('payment'),
    created: {
      gte: n('created[gte]'),
      gt: n('created[gt]'),
      lte: n('created[lte]'),
      lt: n('created[lt]'),
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
