// Expected failures are named codes. Each module declares its codes once, in precedence
// order, in its own errors.ts through defineErrors(), and raises them through that table's
// factory (errorFactory): the factory accepts only the table's codes, so a misspelt or
// undeclared code does not compile, and every call site holds the table it raises from, so
// a code's type and message are known wherever it is raised, whatever was imported first.
// http/errors.ts maps a code's type to an HTTP status in one place, so no handler ever picks
// a status of its own.

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'conflict_error'
  | 'idempotency_error'
  | 'rate_limit_error'
  | 'card_error'
  | 'api_error';

interface ErrorSpec {
  readonly type: ErrorType;
  readonly message: string;
}

type ErrorTable = Readonly<Record<string, ErrorSpec>>;

// Only defineErrors makes a DefinedError (the brand is a type, not a value), so a KinkoError
// can be built only from a declared code.
declare const declared: unique symbol;

/** One code of a module's table, as defineErrors returns it. */
interface DefinedError<C extends string = string> extends ErrorSpec {
  readonly code: C;
  readonly [declared]: true;
}

/** A module's table as defineErrors returns it: each code with its spec. */
type DefinedErrors<T extends ErrorTable> = {
  readonly [C in keyof T & string]: DefinedError<C>;
};

export interface ErrorOptions {
  /** Replaces the table's message (never with secrets). */
  message?: string;
  /** The request field the error is about. */
  param?: string;
  /** Extra, safe-to-show fields for the error body (for example retry_after_seconds). */
  extra?: Record<string, unknown>;
}

const registry = new Map<string, { module: string; spec: ErrorSpec }>();

/**
 * Declares a module's error table; a code may be declared by one module only. The registry
 * it fills serves the status map and docs/errors.md; raising a code never depends on it.
 */
export function defineErrors<T extends ErrorTable>(module: string, table: T): DefinedErrors<T> {
  const defined: Record<string, ErrorSpec & { code: string }> = {};
  for (const [code, spec] of Object.entries(table)) {
    const existing = registry.get(code);
    if (existing && existing.module !== module) {
      throw new Error(`error code ${code} declared by both ${existing.module} and ${module}`);
    }
    registry.set(code, { module, spec });
    defined[code] = Object.freeze({ code, type: spec.type, message: spec.message });
  }
  return Object.freeze(defined) as unknown as DefinedErrors<T>;
}

/** How a module raises its codes, `throw paymentsError('code_expired')`, and tells them. */
interface ErrorFactory<C extends string> {
  (code: C, options?: ErrorOptions): KinkoError;
  /** True when e was raised with one of codes: `vaultError.is(e, 'card_not_found')`. */
  is(e: unknown, ...codes: C[]): e is KinkoError;
}

export function errorFactory<C extends string>(table: {
  readonly [K in C]: DefinedError<K>;
}): ErrorFactory<C> {
  const raise = (code: C, options: ErrorOptions = {}) => new KinkoError(table[code], options);
  // A code belongs to one table only (defineErrors), so the code alone names the error.
  const is = (e: unknown, ...codes: C[]): e is KinkoError =>
    e instanceof KinkoError && (codes as string[]).includes(e.code);
  return Object.assign(raise, { is });
}

export function errorSpec(code: string): ErrorSpec | undefined {
  return registry.get(code)?.spec;
}

export function registeredErrorCodes(): ReadonlyArray<{
  code: string;
  module: string;
  spec: ErrorSpec;
}> {
  return [...registry.entries()].map(([code, v]) => ({ code, module: v.module, spec: v.spec }));
}

/** An expected failure with a stable code. The message must never contain secrets. */
export class KinkoError extends Error {
  override name = 'KinkoError';
  readonly code: string;
  readonly type: ErrorType;
  readonly param: string | undefined;
  /** Extra, safe-to-show fields for the error body (for example retry_after_seconds). */
  readonly extra: Readonly<Record<string, unknown>> | undefined;

  constructor(defined: DefinedError, options: ErrorOptions = {}) {
    super(options.message ?? defined.message);
    this.code = defined.code;
    this.type = defined.type;
    this.param = options.param;
    this.extra = options.extra;
  }
}
