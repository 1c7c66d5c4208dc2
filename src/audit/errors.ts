import { defineErrors, errorFactory } from '../lib/errors.ts';

// The audit module's named failures, in precedence order. None is a caller mistake: each
// stops an operator action (start-up, a checkpoint) with a message that names the cause.

const AUDIT_ERRORS = defineErrors('audit', {
  audit_signing_key_exposed: {
    type: 'api_error',
    message: 'the audit signing key file is accessible by group or others',
  },
  audit_signing_key_invalid: {
    type: 'api_error',
    message: 'the audit signing key file does not hold an Ed25519 private key',
  },
  audit_signing_key_missing: {
    type: 'api_error',
    message: 'no audit signing key was given to this audit instance',
  },
  audit_chain_broken: {
    type: 'api_error',
    message: 'the audit chain does not verify; refusing to sign a checkpoint over it',
  },
});

/** Raises one of these codes; a code not in the table does not compile. */
export const auditError = errorFactory(AUDIT_ERRORS);
