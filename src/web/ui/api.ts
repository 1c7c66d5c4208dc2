// The apps' only way to the server: fetch against Kinko's public HTTP API on the same
// origin. Errors arrive as { error: { type, code, message, param? } } and become ApiError,
// so forms can put the message next to the field the API names in `param`.

export interface ApiErrorBody {
  type?: string;
  code?: string;
  message?: string;
  param?: string;
  [extra: string]: unknown;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly param: string | undefined;
  readonly body: ApiErrorBody;

  constructor(status: number, body: ApiErrorBody) {
    super(body.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body.code ?? 'http_error';
    this.param = body.param;
    this.body = body;
  }
}

export interface CallOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  body?: unknown;
  headers?: Record<string, string>;
  /** A bearer credential (merchant secret key, terminal secret); else the session cookie. */
  bearer?: string | undefined;
  /** Idempotency-Key for a POST; one per user action, so a retried click is not a double. */
  idempotencyKey?: string | undefined;
  /** Ends the request early (a long poll whose screen went away). */
  signal?: AbortSignal | undefined;
}

export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

export async function call<T>(path: string, options: CallOptions = {}): Promise<T> {
  const method = options.method ?? (options.body === undefined ? 'GET' : 'POST');
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.bearer) headers['authorization'] = `Bearer ${options.bearer}`;
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: options.body === undefined ? null : JSON.stringify(options.body),
      signal: options.signal ?? null,
    });
  } catch {
    throw new ApiError(0, { code: 'network_error', message: 'The network is unreachable.' });
  }
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const body = (json as { error?: ApiErrorBody } | undefined)?.error ?? {};
    throw new ApiError(res.status, body);
  }
  return json as T;
}

/** A query string from the defined values only. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
