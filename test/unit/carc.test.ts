import { describe, expect, it } from 'vitest';
import { adjustmentClass, CARC_SOURCE, CARC_TABLE, carcEntry } from '../../lambdas/core/carc.js';

/** The CARC table the posting rules read (docs/posting-rules.md "Adjustment classes"). */
describe('claim adjustment reason codes', () => {
  it('the contractual codes of the finance review are contractual under CO and under OA/PI', () => {
    for (const code of ['45', '253', '59', '97', '94']) {
      expect(carcEntry(code)?.class).toBe('contractual');
      expect(adjustmentClass('CO', code)).toBe('contractual');
      expect(adjustmentClass('OA', code)).toBe('contractual');
    }
  });

  it('denial codes are denials whatever the group but PR, which is always the patient', () => {
    for (const code of ['50', '16', '29', '197', '18', '96', '109', 'B7']) {
      expect(adjustmentClass('CO', code)).toBe('denial');
      expect(adjustmentClass('OA', code)).toBe('denial');
      expect(adjustmentClass('PI', code)).toBe('denial');
      expect(adjustmentClass('PR', code)).toBe('patient');
    }
  });

  it('an unknown code takes its group default, and CARC 23 outside PR is the prior payer', () => {
    expect(adjustmentClass('CO', 'Z9')).toBe('contractual');
    expect(adjustmentClass('OA', '121')).toBe('other');
    expect(adjustmentClass('PI', '104')).toBe('payer-initiated');
    expect(adjustmentClass('OA', '23')).toBe('prior-payer');
    expect(adjustmentClass('PR', '23')).toBe('patient');
  });

  it('every entry has a description, and the table names its source', () => {
    expect(CARC_SOURCE).toContain('x12.org/codes/claim-adjustment-reason-codes');
    for (const [code, entry] of Object.entries(CARC_TABLE)) {
      expect(code).toMatch(/^[A-Z0-9]{1,3}$/);
      expect(entry.description.length).toBeGreaterThan(5);
    }
    // Not inherited object keys: a reason like "constructor" is simply unknown.
    expect(carcEntry('constructor')).toBeUndefined();
  });
});
