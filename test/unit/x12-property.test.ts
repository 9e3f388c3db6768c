import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RequestRejected } from '../../lambdas/adapters/http/api-request.js';
import { readDocument } from '../../lambdas/adapters/x12/http-intake.js';
import { read835 } from '../../lambdas/core/x12/remittance-835.js';
import { providerAdjustments } from '../../lambdas/core/x12/remittance-events.js';
import type { Delimiters } from '../../lambdas/core/x12/tokenizer.js';
import {
  type AdjustmentSpec,
  type ClaimSpec,
  type RemittanceSpec,
  totalPaymentCents,
  write835,
} from '../../lambdas/core/x12/write-835.js';

/**
 * Issue #4: for every balanced remittance, writing it as X12 (any declared delimiters, any line breaks,
 * any chunking) and reading it back gives the source; and any single corruption is refused with the
 * segment position, before anything could be posted.
 */
const DELIMITER_SETS: Array<{ delimiters: Delimiters; lineBreak: string }> = [
  { delimiters: { element: '*', repetition: '^', component: ':', segment: '~' }, lineBreak: '' },
  { delimiters: { element: '*', repetition: '^', component: ':', segment: '~' }, lineBreak: '\r\n' },
  { delimiters: { element: '|', repetition: '!', component: '>', segment: '\n' }, lineBreak: '' },
  { delimiters: { element: '^', repetition: '{', component: '\\', segment: "'" }, lineBreak: '\n' },
];

const amount = fc.integer({ min: -50_000, max: 500_000 });
const adjustment: fc.Arbitrary<AdjustmentSpec> = fc.record({
  group: fc.constantFrom('CO', 'PR', 'OA', 'PI'),
  reason: fc.constantFrom('45', '1', '2', '3', 'A2', '23', '253', 'B7'),
  amountCents: amount,
});

const claim = (index: number): fc.Arbitrary<ClaimSpec> =>
  fc
    .record({
      claimId: fc.stringMatching(/^[A-Z0-9][A-Z0-9-]{0,11}$/),
      status: fc.constantFrom('1', '2', '3', '4', '19', '20', '21', '22', '23', '25'),
      claimAdjustments: fc.array(adjustment, { maxLength: 8 }),
      services: fc.array(
        fc.record({
          procedure: fc.constantFrom('HC:99213', 'HC:99214:25', 'HC:36415', 'NU:0450'),
          chargeCents: fc.integer({ min: 0, max: 900_000 }),
          adjustments: fc.array(adjustment, { maxLength: 7 }),
        }),
        { maxLength: 4 },
      ),
      noServicesBilled: fc.integer({ min: 0, max: 900_000 }),
      sendPatientResponsibility: fc.boolean(),
    })
    .map((c) => {
      const sign = c.status === '22' ? -1 : 1; // a reversal repeats the original with amounts negated
      const neg = (a: AdjustmentSpec) => ({ ...a, amountCents: sign * a.amountCents + 0 }); // no -0
      const services = c.services.map((s) => {
        const adjustments = s.adjustments.map(neg);
        const charge = sign * s.chargeCents + 0;
        return {
          procedure: s.procedure,
          chargeCents: charge,
          paidCents: charge - adjustments.reduce((sum, a) => sum + a.amountCents, 0) + 0,
          adjustments,
        };
      });
      const adjustments = c.claimAdjustments.map(neg);
      const billed =
        services.length > 0 ? services.reduce((s, x) => s + x.chargeCents, 0) : sign * c.noServicesBilled + 0;
      const all = [...adjustments, ...services.flatMap((s) => s.adjustments)];
      const paid = billed - all.reduce((sum, a) => sum + a.amountCents, 0) + 0;
      const pr = all.filter((a) => a.group === 'PR').reduce((sum, a) => sum + a.amountCents, 0) + 0;
      return {
        claimId: c.claimId,
        status: c.status,
        billedCents: billed,
        paidCents: paid,
        ...(c.sendPatientResponsibility ? { patientResponsibilityCents: pr } : {}),
        filingIndicator: '12',
        payerClaimControlNumber: `PCCN${index}`,
        adjustments,
        services,
        serviceDate: '2026-11-02',
      };
    })
    // Only reversals bill a negative amount (and never a positive one): keep the generated ones valid.
    .filter((c) => (c.status === '22' ? c.billedCents <= 0 && c.paidCents <= 0 : c.billedCents >= 0));

const remittance: fc.Arbitrary<RemittanceSpec> = fc
  .integer({ min: 1, max: 6 })
  .chain((n) =>
    fc.record({
      controlNumber: fc.stringMatching(/^[0-9]{4,9}$/),
      traceNumber: fc.stringMatching(/^[A-Z0-9]{1,20}$/),
      method: fc.constantFrom('ACH', 'CHK', 'FWT', 'BOP', 'NON'),
      date: fc.constantFrom('2026-11-30', '2025-02-28', '2024-02-29'),
      payerName: fc.constant('ACME HEALTH'),
      payeeName: fc.constant('NORTH CLINIC'),
      payeeNpi: fc.constant('1234567893'),
      claims: fc.tuple(...Array.from({ length: n }, (_, i) => claim(i))),
      providerAdjustments: fc.array(
        fc.record({
          reason: fc.constantFrom('WO', 'L6', 'FB', 'CS', '72'),
          reference: fc.option(fc.stringMatching(/^[A-Z0-9]{1,12}$/), { nil: undefined }),
          amountCents: fc.integer({ min: -100_000, max: 100_000 }),
        }),
        { maxLength: 8 },
      ),
    }),
  )
  .map((spec) => ({
    ...spec,
    providerAdjustments: spec.providerAdjustments.map(({ reference, ...p }) =>
      reference ? { ...p, reference } : p,
    ),
  }));

const writeOptions = fc.record({
  set: fc.constantFrom(...DELIMITER_SETS),
  chunk: fc.integer({ min: 1, max: 300 }),
});

function* chunked(text: string, size: number): Generator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

const textOf = (spec: RemittanceSpec, set: (typeof DELIMITER_SETS)[number]) =>
  [...write835(spec, { delimiters: set.delimiters, lineBreak: set.lineBreak })].join('');

describe('X12 835 round trip', () => {
  it('a balanced remittance written as X12 reads back equal to its source', async () => {
    await fc.assert(
      fc.asyncProperty(remittance, writeOptions, async (spec, { set, chunk }) => {
        // Act
        const read = await read835(chunked(textOf(spec, set), chunk));
        // Assess
        expect(read.issues).toEqual([]);
        const [t] = read.transactions;
        expect(t?.payment.amountCents).toBe(totalPaymentCents(spec));
        expect(t?.trace.traceNumber).toBe(spec.traceNumber);
        expect(t?.payment).toMatchObject({ method: spec.method, date: spec.date });
        const strip = (a: { group: string; reason: string; amountCents: number }) => ({
          group: a.group,
          reason: a.reason,
          amountCents: a.amountCents,
        });
        expect(
          t?.claims.map((c) => ({
            claimId: c.claimId,
            status: c.status,
            billedCents: c.billedCents,
            paidCents: c.paidCents,
            ...(c.patientResponsibilityCents === undefined
              ? {}
              : { patientResponsibilityCents: c.patientResponsibilityCents }),
            filingIndicator: c.filingIndicator,
            payerClaimControlNumber: c.payerClaimControlNumber,
            adjustments: c.adjustments.map(strip),
            services: c.services.map((s) => ({
              procedure: s.procedure,
              chargeCents: s.chargeCents,
              paidCents: s.paidCents,
              adjustments: s.adjustments.map(strip),
            })),
            serviceDate: c.dates['232'],
          })),
        ).toEqual(
          spec.claims.map((c) => ({
            ...c,
            // CAS segments group by CAS01; within a group the order is kept.
            adjustments: groupOrder(c.adjustments),
            services: c.services.map((s) => ({ ...s, adjustments: groupOrder(s.adjustments) })),
          })),
        );
        expect(providerAdjustments(read.transactions).map((p) => p.data.amountCents)).toEqual(
          spec.providerAdjustments.map((p) => p.amountCents),
        );
      }),
      { numRuns: 100 },
    );
  });
});

/** The order write835 emits CAS triplets in: grouped by CAS01 in order of first appearance. */
function groupOrder(adjustments: AdjustmentSpec[]): AdjustmentSpec[] {
  const groups: string[] = [];
  for (const a of adjustments) if (!groups.includes(a.group)) groups.push(a.group);
  // A group with more than six triplets continues in a second CAS segment of the same group, written
  // right after the first: the order stays the per-group order.
  return groups.flatMap((g) => adjustments.filter((a) => a.group === g));
}

/** Refused with at least one `segment:<n> <ID>` path — never accepted, never a 5xx. */
async function expectRefused(text: string): Promise<Array<{ path: string; message: string }>> {
  try {
    await readDocument('835', Buffer.from(text, 'latin1'));
  } catch (error) {
    expect(error).toBeInstanceOf(RequestRejected);
    const p = (error as RequestRejected).problem;
    expect(p.status).toBe(400);
    expect(p.errors?.length).toBeGreaterThan(0);
    for (const e of p.errors ?? []) expect(e.path).toMatch(/^segment:(\d+|\?) [A-Z0-9?]{1,3}$/);
    return p.errors ?? [];
  }
  throw new Error('the corrupted document was accepted');
}

describe('a single corruption is refused with the segment position', () => {
  const set = DELIMITER_SETS[1] as (typeof DELIMITER_SETS)[number];

  it('a truncated file', async () => {
    await fc.assert(
      fc.asyncProperty(remittance, fc.double({ min: 0, max: 0.999, noNaN: true }), async (spec, at) => {
        const text = textOf(spec, set);
        const body = text.trimEnd();
        await expectRefused(body.slice(0, Math.floor(at * (body.length - 1))));
      }),
      { numRuns: 100 },
    );
  });

  it('a wrong element delimiter after a segment id', async () => {
    await fc.assert(
      fc.asyncProperty(remittance, fc.nat(), fc.constantFrom('#', '|', '+'), async (spec, pick, wrong) => {
        const lines = textOf(spec, set).split('~\r\n');
        const index = 1 + (pick % (lines.length - 2)); // any segment after the ISA
        lines[index] = (lines[index] as string).replace('*', wrong);
        const errors = await expectRefused(lines.join('~\r\n'));
        expect(errors[0]?.path).toMatch(new RegExp(`^segment:${index + 1} `));
      }),
      { numRuns: 100 },
    );
  });

  it('a bad amount in CLP, SVC or CAS', async () => {
    await fc.assert(
      fc.asyncProperty(
        remittance,
        fc.nat(),
        fc.constantFrom('1O.00', '12.345', '1,000.00', '', '--1'),
        async (spec, pick, bad) => {
          const lines = textOf(spec, set).split('~\r\n');
          const candidates = lines.flatMap((line, i) => (/^(CLP|SVC|CAS)\*/.test(line) ? [i] : []));
          const index = candidates[pick % candidates.length] as number;
          const elements = (lines[index] as string).split('*');
          const at = elements[0] === 'CLP' ? 3 : elements[0] === 'SVC' ? 2 : 3;
          elements[at] = bad;
          lines[index] = elements.join('*');
          const errors = await expectRefused(lines.join('~\r\n'));
          expect(errors.map((e) => e.path)).toContain(`segment:${index + 1} ${elements[0]}`);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a claim without the CAS that balance it', async () => {
    await fc.assert(
      fc.asyncProperty(
        remittance.filter((r) =>
          r.claims.some((c) =>
            c.adjustments.concat(c.services.flatMap((s) => s.adjustments)).some((a) => a.amountCents !== 0),
          ),
        ),
        async (spec) => {
          const victim = spec.claims.findIndex((c) =>
            c.adjustments.concat(c.services.flatMap((s) => s.adjustments)).some((a) => a.amountCents !== 0),
          );
          const claims = spec.claims.map((c, i) =>
            i === victim
              ? { ...c, adjustments: [], services: c.services.map((s) => ({ ...s, adjustments: [] })) }
              : c,
          );
          const text = textOf({ ...spec, claims }, set);
          const errors = await expectRefused(text);
          const clpIndex = text
            .split('~\r\n')
            .findIndex((line) => line.startsWith(`CLP*${spec.claims[victim]?.claimId}*`));
          expect(errors.some((e) => e.path.endsWith(' CLP') || e.path.endsWith(' SVC'))).toBe(true);
          expect(clpIndex).toBeGreaterThan(0);
        },
      ),
      { numRuns: 100 },
    );
  });
});
