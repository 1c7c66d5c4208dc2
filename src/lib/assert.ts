// Assertions guard invariants: a failed one means Kinko itself is wrong, not the caller.
// They are never used for expected failures, which are named codes (see errors.ts).

export class InvariantError extends Error {
  override name = 'InvariantError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}

export function unreachable(value: never, message = 'unreachable'): never {
  throw new InvariantError(`${message}: ${String(value)}`);
}
