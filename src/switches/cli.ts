import os from 'node:os';
import { parseArgs } from 'node:util';
import { KinkoError } from '../lib/errors.ts';
import type { Switches } from './service.ts';
import { OPERATIONS, SCOPE_TYPES, type Operation, type ScopeType } from './switch.ts';

// `kinko switches list|on|off` for a person at a terminal of a Kinko host, who acts as
// `cli:<their user name>`. Lifting still takes two people: `off` asks for the lift when
// nobody has, and approves it when someone else (another user, or an operator in the
// console) asked.

export const SWITCHES_USAGE =
  'kinko switches list | on --operation OP [--scope TYPE --value V] --reason TEXT ' +
  '[--incident ID] | off SWITCH_ID [--reason TEXT]';

interface Io {
  out(line: string): void;
  err(line: string): void;
}

export async function switchesCommand(s: Switches, args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  const actor = { type: 'cli' as const, id: os.userInfo().username };
  try {
    if (sub === 'list') {
      const { on } = await s.list();
      if (on.length === 0) io.out('no switch is on');
      for (const w of on) {
        const scope = w.scope.value ? `${w.scope.type}=${w.scope.value}` : 'all';
        const lift = w.lift_requested_by ? ` (lift asked by ${w.lift_requested_by})` : '';
        io.out(`${w.id}  ${w.operation}  ${scope}  since ${w.turned_on_at}  ${w.reason}${lift}`);
      }
      return 0;
    }
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        operation: { type: 'string' },
        scope: { type: 'string' },
        value: { type: 'string' },
        reason: { type: 'string' },
        incident: { type: 'string' },
      },
    });
    if (sub === 'on' && values.operation !== undefined && !isOperation(values.operation)) {
      return unknown(io, 'operation', values.operation, OPERATIONS);
    }
    if (sub === 'on' && values.scope !== undefined && !isScope(values.scope)) {
      return unknown(io, 'scope', values.scope, SCOPE_TYPES);
    }
    if (sub === 'on' && isOperation(values.operation) && values.reason) {
      const type = values.scope ?? 'all';
      if (!isScope(type)) return usage(io);
      const input = { operation: values.operation, scope: { type, value: values.value } };
      const w = await s.turnOn(
        { ...input, reason: values.reason, incidentId: values.incident },
        actor,
      );
      io.out(`switch ${w.id} is on: ${w.operation} ${w.scope.value ?? 'all'}`);
      return 0;
    }
    if (sub === 'off' && positionals[0]) {
      const w = await s.get(positionals[0]);
      if (w.lift_requested_by === null) {
        if (!values.reason) return usage(io);
        await s.requestLift(w.id, values.reason, actor);
        io.out(`lift of ${w.id} requested; another operator approves it`);
      } else {
        await s.approveLift(w.id, actor);
        io.out(`switch ${w.id} is lifted`);
      }
      return 0;
    }
    return usage(io);
  } catch (error) {
    if (!(error instanceof KinkoError)) throw error;
    io.err(`kinko: ${error.code}: ${error.message}`);
    return 1;
  }
}

function usage(io: Io): number {
  io.err(`usage: ${SWITCHES_USAGE}`);
  io.err(`operations: ${OPERATIONS.join(', ')}`);
  io.err(`scopes: ${SCOPE_TYPES.join(', ')}`);
  return 2;
}

/** A value not among those accepted: named, with the accepted ones, then the usage. */
function unknown(io: Io, what: string, given: string, valid: readonly string[]): number {
  io.err(`kinko: unknown ${what} "${given}"; valid: ${valid.join(', ')}`);
  return usage(io);
}

const isOperation = (v: string | undefined): v is Operation =>
  (OPERATIONS as readonly string[]).includes(v ?? '');
const isScope = (v: string): v is ScopeType => (SCOPE_TYPES as readonly string[]).includes(v);
