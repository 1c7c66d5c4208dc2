import { test } from 'node:test';
import assert from 'node:assert/strict';
import { suspendedText } from './suspended.ts';

test('a suspended service is named in plain words, in English and Japanese', () => {
  const body = {
    code: 'service_suspended',
    message: 'Top-ups with visa cards are suspended for now by Kinko’s operators.',
    suspended: 'topups',
    scope: 'card_brand',
  };
  assert.equal(suspendedText(body, 'en'), body.message);
  assert.equal(
    suspendedText(body, 'ja'),
    'このカードブランドでのチャージは、現在Kinkoにより一時停止されています。時間をおいてお試しください。',
  );
  const register = { code: 'service_suspended', suspended: 'code_payments', scope: 'all' };
  assert.match(suspendedText(register, 'ja'), /^コード決済は、現在/);
  assert.match(suspendedText({ code: 'service_suspended' }, 'ja'), /^このサービスは/);
});
