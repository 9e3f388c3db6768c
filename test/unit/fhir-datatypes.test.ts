import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fhirPath, statusFor } from '../../lambdas/core/fhir/outcome.js';
import { isIssue, moneyCents, ownIdentifier, referencedId } from '../../lambdas/core/fhir/references.js';
import { formatCents } from '../../lambdas/core/money.js';

/** Issue #4: FHIR money and references are read exactly, or refused at the element. */
describe('FHIR Money → cents', () => {
  it('reads every two-decimal amount exactly, without float arithmetic', () => {
    fc.assert(
      fc.property(fc.integer({ min: -99_999_999_999, max: 99_999_999_999 }), (cents) => {
        // Prepare: the JSON number a partner would write for this amount
        const value = Number(formatCents(Math.abs(cents))) * (cents < 0 ? -1 : 1);

        // Act
        const read = moneyCents({ value, currency: 'USD' }, 'X.amount');

        // Assess
        expect(read).toBe(cents);
      }),
    );
  });

  it.each([
    [{ value: 10.005, currency: 'USD' }, 'value', 'X.amount.value'],
    [{ value: 1e21, currency: 'USD' }, 'value', 'X.amount.value'],
    [{ value: 10 }, 'required', 'X.amount.currency'],
    [{ value: 10, currency: 'EUR' }, 'not-supported', 'X.amount.currency'],
    [{ currency: 'USD' }, 'required', 'X.amount.value'],
  ])('refuses %j with %s at %s', (money, code, expression) => {
    // Act
    const read = moneyCents(money, 'X.amount');

    // Assess
    expect(isIssue(read) && [read.code, read.expression?.[0]]).toEqual([code, expression]);
  });
});

describe('identifiers and references', () => {
  it('prefers our identifier system, then official, then the first with a value', () => {
    // Prepare
    const ours = 'https://rcm-hub.dev/fhir/sid/claim-id';

    // Act / Assess
    expect(
      ownIdentifier(
        [
          { system: 'x', value: 'A' },
          { system: ours, value: 'B' },
        ],
        ours,
      )?.value,
    ).toBe('B');
    expect(
      ownIdentifier(
        [
          { system: 'x', value: 'A' },
          { use: 'official', value: 'C' },
        ],
        ours,
      )?.value,
    ).toBe('C');
    expect(ownIdentifier([{ system: 'x' }, { system: 'y', value: 'D' }], ours)).toEqual({
      value: 'D',
      index: 1,
    });
  });

  it('resolves Bundle entries, identifiers and RESTful literal references, nothing else', () => {
    // Prepare
    const local = new Map([['urn:uuid:1', { type: 'Claim', id: 'CLM-7' }]]);

    // Act / Assess
    expect(referencedId({ reference: 'urn:uuid:1' }, 'Claim', local)).toBe('CLM-7');
    expect(referencedId({ reference: 'urn:uuid:1' }, 'Invoice', local)).toBeUndefined();
    expect(referencedId({ identifier: { system: 'http://clinic/claim', value: 'AB1' } }, 'Claim')).toBe(
      'AB1',
    );
    expect(referencedId({ reference: 'http://payer/fhir/Claim/225/_history/2' }, 'Claim')).toBe('225');
    expect(referencedId({ reference: 'Claim/225' }, 'Claim')).toBe('225');
    expect(
      referencedId({ reference: 'http://payer/fhir/oralhealthclaim/15476332402' }, 'Claim'),
    ).toBeUndefined();
  });
});

describe('OperationOutcome', () => {
  it('writes zod paths as FHIRPath and picks the status by the worst issue', () => {
    // Act / Assess
    expect(fhirPath('Bundle.entry[1].resource', ['item', 0, 'adjudication', 2, 'amount'])).toBe(
      'Bundle.entry[1].resource.item[0].adjudication[2].amount',
    );
    const error = (code: 'business-rule' | 'structure' | 'conflict') => ({
      severity: 'error' as const,
      code,
      diagnostics: '',
    });
    expect(statusFor([error('business-rule')])).toBe(422);
    expect(statusFor([error('business-rule'), error('structure')])).toBe(400);
    expect(statusFor([error('conflict')])).toBe(409);
  });
});
