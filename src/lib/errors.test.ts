import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineErrors, errorFactory, errorSpec, KinkoError } from './errors.ts';

// A table of this test's own (each test file runs in its own process, so it never reaches
// docs/errors.md), declared and raised the way every module's errors.ts does it.
const SAMPLE_ERRORS = defineErrors('sample', {
  sample_expired: { type: 'invalid_request_error', message: 'The sample has expired.' },
  sample_missing: { type: 'not_found_error', message: 'No such sample.' },
});
const sampleError = errorFactory(SAMPLE_ERRORS);

test('a misspelt or undeclared code does not compile', () => {
  // Never called: these lines are checked by `npm run typecheck`, and each @ts-expect-error
  // fails the typecheck the day its line compiles.
  const neverCalled = () => [
    // @ts-expect-error a misspelt code
    sampleError('sample_expierd'),
    // @ts-expect-error a code another table declares
    sampleError('body_too_large'),
    // @ts-expect-error a bare string is not a declared code
    new KinkoError('sample_expired'),
    // @ts-expect-error a catch site naming a misspelt code
    sampleError.is(new Error(), 'sample_mising'),
    // @ts-expect-error a hand-made spec is not a declared code
    new KinkoError({ code: 'made_up', type: 'api_error', message: 'Made up.' }),
  ];
  assert.equal(typeof neverCalled, 'function');
});

test('a raised code carries its table’s type and message; options add to them', () => {
  const e = sampleError('sample_expired');
  assert.ok(e instanceof KinkoError && e instanceof Error);
  assert.deepEqual(
    [e.code, e.type, e.message],
    ['sample_expired', 'invalid_request_error', 'The sample has expired.'],
  );
  const f = sampleError('sample_missing', {
    param: 'id',
    message: 'No sample smp_1.',
    extra: { retry_after_seconds: 1 },
  });
  assert.deepEqual(
    [f.type, f.message, f.param, f.extra],
    ['not_found_error', 'No sample smp_1.', 'id', { retry_after_seconds: 1 }],
  );
  assert.equal(errorSpec('sample_missing')?.type, 'not_found_error');
});

test('a code is declared by one module only', () => {
  assert.throws(
    () => defineErrors('other', { sample_missing: { type: 'api_error', message: 'Again.' } }),
    /sample_missing declared by both sample and other/,
  );
  assert.ok(Object.isFrozen(SAMPLE_ERRORS) && Object.isFrozen(SAMPLE_ERRORS.sample_expired));
});

test('is() tells a raised code from other codes and other errors', () => {
  const e = sampleError('sample_missing');
  assert.ok(sampleError.is(e, 'sample_missing'));
  assert.ok(sampleError.is(e, 'sample_expired', 'sample_missing'));
  assert.ok(!sampleError.is(e, 'sample_expired'));
  assert.ok(!sampleError.is(new Error('sample_missing'), 'sample_missing'));
});
