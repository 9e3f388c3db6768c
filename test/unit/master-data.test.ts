import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  outranks,
  type PatientUpserted,
  PatientUpsertRequest,
  SOURCE_AUTHORITY,
  survivingRecord,
} from '../../lambdas/core/master-data.js';

const patient = (overrides: Partial<PatientUpserted>): PatientUpserted => ({
  patientId: 'PAT-1',
  name: 'Ada Patient',
  sourceSystem: 'billing',
  sourceUpdatedAt: '2026-11-01T10:00:00Z',
  ...overrides,
});

describe('master data survivorship', () => {
  it('the later change wins field by field', () => {
    // Prepare
    const stored = patient({
      name: 'Ada Patient',
      email: 'old@example.org',
      sourceUpdatedAt: '2026-11-01T10:00:00Z',
    });
    const incoming = patient({ name: 'Ada P. Patient', sourceUpdatedAt: '2026-11-02T10:00:00Z' });

    // Act
    const survivor = survivingRecord(stored, incoming);

    // Assess
    expect(survivor.name).toBe('Ada P. Patient');
    expect(survivor.email).toBe('old@example.org');
  });

  it('an older record does not overwrite a newer one, but fills what the newer one lacks', () => {
    const stored = patient({ name: 'New Name', sourceUpdatedAt: '2026-11-05T00:00:00Z' });
    const incoming = patient({
      name: 'Old Name',
      phone: '+1 555 0100',
      sourceUpdatedAt: '2026-11-01T00:00:00Z',
    });

    const survivor = survivingRecord(stored, incoming);

    expect(outranks(incoming, stored)).toBe(false);
    expect(survivor).toMatchObject({
      name: 'New Name',
      phone: '+1 555 0100',
      sourceUpdatedAt: '2026-11-05T00:00:00Z',
    });
  });

  it('on the same instant the more authoritative source wins (EHR over billing over clearinghouse)', () => {
    const at = '2026-11-03T09:30:00+01:00';
    const fromBilling = patient({ name: 'Billing Name', sourceSystem: 'billing', sourceUpdatedAt: at });
    const fromEhr = patient({
      name: 'EHR Name',
      sourceSystem: 'ehr',
      sourceUpdatedAt: '2026-11-03T08:30:00Z',
    });

    expect(survivingRecord(fromBilling, fromEhr).name).toBe('EHR Name');
    expect(survivingRecord(fromEhr, fromBilling).name).toBe('EHR Name');
  });

  it('whatever order two records arrive in, the same record survives', () => {
    const record = fc.record({
      name: fc.constantFrom('A', 'B', 'C'),
      email: fc.option(fc.constantFrom('a@example.org', 'b@example.org'), { nil: undefined }),
      sourceSystem: fc.constantFrom(...SOURCE_AUTHORITY),
      sourceUpdatedAt: fc.integer({ min: 0, max: 5 }).map((d) => `2026-11-0${d + 1}T00:00:00Z`),
    });
    fc.assert(
      fc.property(record, record, (a, b) => {
        fc.pre(a.sourceUpdatedAt !== b.sourceUpdatedAt || a.sourceSystem !== b.sourceSystem);
        const x = patient(a);
        const y = patient(b);
        expect(survivingRecord(x, y)).toEqual(survivingRecord(y, x));
      }),
    );
  });

  it('a patient upsert needs a zone on its timestamp, so "later" means the same thing everywhere', () => {
    const result = PatientUpsertRequest.safeParse({
      name: 'X',
      sourceSystem: 'ehr',
      sourceUpdatedAt: '2026-11-03T09:30:00',
    });
    expect(result.success).toBe(false);
  });
});
