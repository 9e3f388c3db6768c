import { describe, expect, it } from 'vitest';
import {
  ALL,
  decideWrite,
  eventSubject,
  eventVisibleTo,
  masterRecordOwner,
  mayRead,
  PartnerRegistry,
  principalOf,
  worksTeam,
} from '../../lambdas/core/partners.js';
import { opsScopes, roleScopes } from '../../lambdas/wiring.js';

// Issue #15: each caller sees and changes only what it is entitled to.
const clinicA = principalOf({ clientId: 'a', name: 'clinic-a', role: 'partner', facilities: ['FAC-A'] });
const clearinghouse = principalOf({
  clientId: 'c',
  name: 'clearing',
  role: 'partner',
  facilities: ['FAC-A', 'FAC-B'],
  payers: ['PAYER-1'],
});
const financeOps = principalOf({
  clientId: 'f',
  name: 'finance',
  role: 'finance-operations',
  facilities: ALL,
});

describe('writes', () => {
  it('a partner writes for its own facility, into an encounter nobody or its facility owns', () => {
    // Act / Assess
    expect(decideWrite(clinicA, { facilityId: 'FAC-A', ownerFacilities: [] }).allowed).toBe(true);
    expect(decideWrite(clinicA, { facilityId: 'FAC-A', ownerFacilities: ['FAC-A'] }).allowed).toBe(true);
  });

  it('is refused for another facility, or an encounter another facility owns, even under its own facility', () => {
    expect(decideWrite(clinicA, { facilityId: 'FAC-B' })).toMatchObject({ allowed: false });
    expect(decideWrite(clinicA, { facilityId: 'FAC-A', ownerFacilities: ['FAC-B'] })).toMatchObject({
      allowed: false,
    });
    // A client of two facilities cannot move an encounter from one to the other.
    expect(
      decideWrite(clearinghouse, { facilityId: 'FAC-B', ownerFacilities: ['FAC-A'], payerIds: ['PAYER-1'] }),
    ).toMatchObject({ allowed: false });
  });

  it('a payer-bound client speaks only for its payers', () => {
    expect(decideWrite(clearinghouse, { facilityId: 'FAC-A', payerIds: ['PAYER-1'] }).allowed).toBe(true);
    expect(decideWrite(clearinghouse, { facilityId: 'FAC-A', payerIds: ['PAYER-2'] })).toMatchObject({
      allowed: false,
    });
  });

  it('a record owned by no facility is writable only by an all-facility client', () => {
    expect(decideWrite(clinicA, { ownerFacilities: [null] }).allowed).toBe(false);
    expect(decideWrite(financeOps, { ownerFacilities: [null] }).allowed).toBe(true);
  });

  it('a master record is owned by the named facility, or the caller’s only one', () => {
    expect(masterRecordOwner(clinicA, undefined)).toEqual({ ok: true, facilityId: 'FAC-A' });
    expect(masterRecordOwner(clinicA, 'FAC-B')).toMatchObject({ ok: false });
    expect(masterRecordOwner(clearinghouse, undefined)).toMatchObject({ ok: false });
    expect(masterRecordOwner(financeOps, undefined)).toEqual({ ok: true, facilityId: null });
  });
});

describe('reads and events', () => {
  it('another facility’s record, or one owned by none, is invisible to a partner', () => {
    expect(mayRead(clinicA, 'FAC-A')).toBe(true);
    expect(mayRead(clinicA, 'FAC-B')).toBe(false);
    expect(mayRead(clinicA, null)).toBe(false);
    expect(mayRead(financeOps, null)).toBe(true);
  });

  it('a subscriber sees an event of its facility and, if payer-bound, of its payers', () => {
    const event = { type: 'RemittancePosted', facilityId: 'FAC-A', data: { payerId: 'PAYER-2' } };
    expect(eventVisibleTo(clinicA, event)).toBe(true);
    expect(eventVisibleTo(clearinghouse, event)).toBe(false);
    expect(eventVisibleTo(clinicA, { ...event, facilityId: 'FAC-B' })).toBe(false);
    expect(eventVisibleTo(clinicA, { type: 'ExceptionOpened', data: {} })).toBe(false);
  });

  it('the subject of an event names its payers, claim and master record', () => {
    expect(
      eventSubject({
        eventType: 'PaymentReceived',
        data: { payer: { kind: 'payer', id: 'PAYER-1' } },
        encounter: { encounterId: 'E', facilityId: 'FAC-A' },
      }),
    ).toEqual({ encounterId: 'E', facilityId: 'FAC-A', payerIds: ['PAYER-1'] });
    expect(eventSubject({ eventType: 'ClaimStatusChanged', data: { claimId: 'C' } })).toMatchObject({
      claimId: 'C',
    });
    expect(eventSubject({ eventType: 'PayerUpserted', data: { payerId: 'P', facilityId: 'F' } })).toEqual({
      master: { kind: 'payer', id: 'P', facilityId: 'F' },
      payerIds: ['P'],
    });
  });
});

describe('roles', () => {
  it('exception actions belong to the role’s teams', () => {
    const billing = principalOf({ clientId: 'b', name: 'billing', role: 'billing', facilities: ALL });
    expect(worksTeam(billing, 'billing')).toBe(true);
    expect(worksTeam(billing, 'finance')).toBe(false);
    const reassigned = principalOf({
      clientId: 'b2',
      name: 'billing-two',
      role: 'billing',
      facilities: ALL,
      teams: ['finance'],
    });
    expect(worksTeam(reassigned, 'finance')).toBe(true);
  });

  it('a partner holds no ops scope, an auditor no write scope', () => {
    expect(roleScopes.partner.filter((s) => opsScopes.includes(s))).toEqual([]);
    expect(roleScopes.auditor.filter((s) => /\.(write|run|operate|manage)$/.test(s))).toEqual([]);
  });

  it('the registry refuses duplicate names and a partner bound to every facility', () => {
    const parsed = PartnerRegistry.safeParse([
      { clientId: '1', name: 'dup', role: 'billing', facilities: ALL },
      { clientId: '2', name: 'dup', role: 'partner', facilities: ALL },
    ]);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.message)).toEqual([
      'duplicate name dup',
      'a partner client must be bound to named facilities',
    ]);
  });
});
