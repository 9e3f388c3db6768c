import { describe, expect, it } from 'vitest';
import { PartnerId } from '../../lambdas/core/identifiers.js';
import { controlCharacterPaths, exceedsJsonDepth } from '../../lambdas/core/json-limits.js';
import { PaymentRequest } from '../../lambdas/core/payment.js';

// Issue #15: hostile input is refused before any parsing or arithmetic.
describe('the JSON edge', () => {
  it('counts nesting outside strings only', () => {
    expect(exceedsJsonDepth('[[[]]]', 3)).toBe(false);
    expect(exceedsJsonDepth('[[[[]]]]', 3)).toBe(true);
    expect(exceedsJsonDepth('{"a":"[[[[[[\\"[[[["}', 1)).toBe(false);
    expect(exceedsJsonDepth(`${'['.repeat(20_000)}${']'.repeat(20_000)}`)).toBe(true);
  });

  it('names every string or member carrying a control character, tab and newlines aside', () => {
    expect(
      controlCharacterPaths({ name: 'a\u0000b', lines: [{ note: 'ok\n\tfine' }, 'x\u001b'], 'k\u0007': 1 }),
    ).toEqual(['/name', '/lines/1', '/k\u0007']);
  });
});

describe('one id rule', () => {
  it.each(['X/../../x', '../etc', 'a/./b', 'a//b', 'a/', 'a\u0000b', "a'b"])('refuses %j', (id) => {
    expect(PartnerId.safeParse(id).success).toBe(false);
  });

  it.each(['ENC-2026-000123', 'CLM/2026/7', 'a.b:c_d', 'x..y'])('accepts %j', (id) => {
    expect(PartnerId.safeParse(id).success).toBe(true);
  });
});

describe('a payment amount that never passed validation', () => {
  it.each(['NaN', '1e308', '12.345', '', '１２', '-5.00'])(
    'is a validation issue, not a throw: %j',
    (amount) => {
      const parsed = PaymentRequest.safeParse({
        paymentId: 'P1',
        encounterId: 'E1',
        facilityId: 'F1',
        payer: { kind: 'patient', id: 'PAT-1' },
        amount,
        method: 'card',
        traceNumber: 't',
        receivedDate: '2026-11-20',
        appliesTo: { invoiceId: 'I1' },
      });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues.map((i) => i.path.join('/'))).toContain('amount');
    },
  );
});
