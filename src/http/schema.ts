import { Type, type Static, type TProperties, type TSchema } from 'typebox';

// The request schemas' building blocks. Each is TypeBox, so a route declares its body,
// params and query once and the handler's types follow from them (the type provider,
// server.ts); each is also the plain JSON Schema the validator (ajv, configured in server.ts)
// and the OpenAPI document see. Where a keyword changes the validator's message (`const`,
// `enum`, a list of types), the helper writes exactly that keyword, so answers stay the same.

export { Type, type Static, type TSchema };

/**
 * Schema keyword for free text a caller may send and Kinko stores or shows (a payment's
 * description and metadata, a refund reason, a webhook endpoint): a card number in it is
 * refused as `card_data_not_allowed` before the handler runs, so it never reaches a table, a
 * log or an outbox event (GMO-PG 2017). Card numbers enter only through the vault's hosted
 * card fields. Use freeText() to declare such a field.
 */
export const NO_CARD_NUMBER = 'x-no-card-number';

/** An object that refuses fields it does not list; optional ones are Type.Optional. */
export function closed<P extends TProperties>(properties: P, options: object = {}) {
  return Type.Object(properties, { ...options, additionalProperties: false });
}

/** A free-text string field: the given length bounds, and no card number inside. */
export function freeText(maxLength: number, minLength = 0, options: object = {}) {
  return Type.String({ minLength, maxLength, [NO_CARD_NUMBER]: true, ...options });
}

/** A public id with its prefix: `pay_…`, `ref_…`. */
export function id(prefix: string) {
  return Type.String({ pattern: `^${prefix}_[A-Za-z0-9_-]{8,64}$` });
}

/** The params of a route on one object, `/…/:id`: its id with `prefix`, or any short id. */
export function idParams(prefix?: string) {
  return closed({ id: prefix ? id(prefix) : Type.String({ minLength: 1, maxLength: 80 }) });
}

/** The largest amount a JSON number carries exactly: 2^53 − 1. */
export const JSON_AMOUNT_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * An amount in minor units, from 1 to `maxMinor`: the limit comes from configuration, never a
 * literal in a schema, and JSON_AMOUNT_MAX is the ceiling.
 */
export function amount(maxMinor: bigint) {
  const maximum = maxMinor < JSON_AMOUNT_MAX ? maxMinor : JSON_AMOUNT_MAX;
  return Type.Integer({ minimum: 1, maximum: Number(maximum) });
}

/** One of the listed strings (`enum`, whose refusal names the allowed values). */
export function oneOf<const V extends readonly string[]>(values: V, options: object = {}) {
  return Type.Unsafe<V[number]>({ type: 'string', enum: [...values], ...options });
}

/** Exactly this value (`const`). */
export function constant<const V extends string>(value: V) {
  return Type.Unsafe<V>({ const: value });
}

/** The schema, or null (`type: [t, 'null']`, one keyword as before). */
export function orNull<S extends TSchema & { type: string }>(schema: S) {
  return Type.Unsafe<Static<S> | null>({ ...schema, type: [schema.type, 'null'] });
}

/** A flat object of free-text values with bounded free-text keys (metadata). */
export function textRecord(keys: object, values: object, propertiesMax: number) {
  return Type.Unsafe<Record<string, string>>({
    type: 'object',
    maxProperties: propertiesMax,
    propertyNames: keys,
    additionalProperties: values,
  });
}
