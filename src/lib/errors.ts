// Expected failures are named codes. Each module declares its codes once, in precedence
// order, in its own errors.ts through defineErrors(); http/errors.ts maps a code's type to an
// HTTP status in one place, so no handler ever picks a status of its own.

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

export interface ErrorSpec {
  readonly type: ErrorType;
  readonly message: string;
}

export type ErrorTable = Readonly<Record<string, ErrorSpec>>;

const registry = new Map<string, { module: string; spec: ErrorSpec }>();

/** Registers a module's error table; a code may be declared by one module only. */
export function defineErrors<T extends ErrorTable>(module: string, table: T): T {
  for (const [code, spec] of Object.entries(table)) {
    const existing = registry.get(code);
    if (existing && existing.module !== module) {
      throw new Error(`error code ${code} declared by both ${existing.module} and ${module}`);
    }
    registry.set(code, { module, spec });
  }
  return Object.freeze(table);
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

  constructor(
    code: string,
    options: { message?: string; param?: string; extra?: Record<string, unknown> } = {},
  ) {
    const spec = registry.get(code)?.spec;
    if (!spec) throw new Error(`unregistered error code ${code}`);
    super(options.message ?? spec.message);
    this.code = code;
    this.type = spec.type;
    this.param = options.param;
    this.extra = options.extra;
  }
}
