import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { scrub } from '../lib/redact.ts';
import { canonicalDetail, canonicalJson } from './chain.ts';

// The append path writes flat details directly; it must give exactly the bytes of the
// general path, or verification would fail on real entries.

const key = fc.oneof(
  fc.constantFrom('amount', 'password', 'cvc', 'card_number', 'note', 'pan', 'token', 'Code'),
  fc.string({ maxLength: 8 }),
);
const text = fc.oneof(
  fc.string(),
  fc.constantFrom('4242 4242 4242 4242', 'x 4111-1111-1111-1111 y', 'tab\t"q"\\n', ''),
  fc.uuid(),
);
const scalar = fc.oneof(
  text,
  fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }),
  fc.constantFrom(4242424242424242n, 4242424242424242, 0.5, -0, 1e21),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
);

test('flat details are written exactly as canonicalJson(scrub(detail))', () => {
  fc.assert(
    fc.property(fc.dictionary(key, scalar, { maxKeys: 8 }), (detail) => {
      assert.equal(canonicalDetail(detail), canonicalJson(scrub(detail)));
    }),
    { numRuns: 2000 },
  );
});

test('nested or unusual details take the general path with the same result', () => {
  const nested = fc.dictionary(key, fc.oneof(scalar, fc.array(scalar), fc.dictionary(key, scalar)));
  fc.assert(
    fc.property(nested, (detail) => {
      assert.equal(canonicalDetail(detail), canonicalJson(scrub(detail)));
    }),
  );
  const withDate = { at: new Date(0), note: 'card 4242424242424242' };
  assert.equal(canonicalDetail(withDate), canonicalJson(scrub(withDate)));
  assert.equal(canonicalDetail(undefined), '{}');
  assert.throws(() => canonicalDetail({ n: Number.NaN }));
});
