import type { Idempotency } from '../../src/http/index.ts';
import { manualClock } from '../../src/lib/clock.ts';
import type { Merchants } from '../../src/merchants/index.ts';
import { testPlatform, type TestPlatform, type TestPlatformOptions } from './platform.ts';

// The merchant API (/v1 with real API keys and Idempotency-Key) on the one test platform.

export interface MerchantApi extends TestPlatform {
  merchants: Merchants;
  idempotency: Idempotency;
}

export async function merchantApi(options: TestPlatformOptions = {}): Promise<MerchantApi> {
  const p = await testPlatform({ clock: manualClock(Date.UTC(2026, 3, 1)), ...options });
  return { ...p, merchants: p.modules.merchants, idempotency: p.modules.idempotency };
}
