import { parseArgs } from 'node:util';
import { KinkoError } from '../lib/errors.ts';
import { createOperator, OPERATOR_ROLES, type OperatorRole } from './operators.ts';
import type { Deps } from './context.ts';

// `kinko operators create --email E --name N [--role R]`: creates an operator, by default the
// first security admin. The password comes from KINKO_OPERATOR_PASSWORD (never an argument,
// which would land in shell history and process lists). The TOTP enrolment secret is
// printed once; Kinko never shows it again.

export const OPERATORS_CREATE_USAGE =
  'kinko operators create --email EMAIL --name NAME [--role security_admin|risk_analyst|support]';

export async function runOperatorsCreate(
  deps: Deps,
  args: string[],
  io: {
    out: (line: string) => void;
    err: (line: string) => void;
    env: Record<string, string | undefined>;
  },
): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args,
      options: { email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' } },
    }).values;
  } catch (error) {
    io.err(String((error as Error).message));
    return 2;
  }
  const role = (values.role ?? 'security_admin') as OperatorRole;
  const password = io.env['KINKO_OPERATOR_PASSWORD'];
  if (!values.email || !values.name || !OPERATOR_ROLES.includes(role) || !password) {
    io.err(`usage: ${OPERATORS_CREATE_USAGE}\n  (password in KINKO_OPERATOR_PASSWORD, ≥ 12 chars)`);
    return 2;
  }
  try {
    const input = { email: values.email, name: values.name, role, password };
    const created = await createOperator(deps, input, { type: 'cli' }, { ip: 'cli' });
    io.out(`operator ${created.operatorId} (${role}) created for ${values.email}`);
    io.out('Enrol this in an authenticator app now; it is shown only once:');
    io.out(`  secret       ${created.totpSecret}`);
    io.out(`  otpauth URI  ${created.otpauthUri}`);
    return 0;
  } catch (error) {
    if (error instanceof KinkoError) {
      io.err(`kinko: ${error.code}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
