import type { KinkoError } from '../lib/errors.ts';

/** The one error shape: `{ error: { type, code, message, param?, …extra, request_id } }`. */
export function errorBody(error: KinkoError, requestId: string | undefined) {
  const body: Record<string, unknown> = {
    type: error.type,
    code: error.code,
    message: error.message,
  };
  if (error.param !== undefined) body['param'] = error.param;
  if (error.extra) Object.assign(body, error.extra);
  if (requestId) body['request_id'] = requestId;
  return { error: body };
}
