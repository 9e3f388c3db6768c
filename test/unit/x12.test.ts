import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hubClaimStatus, read277, toClaimStatusChanged } from '../../lambdas/core/x12/claim-status-277.js';
import { read835 } from '../../lambdas/core/x12/remittance-835.js';
import {
  plannedRemittances,
  providerAdjustments,
  toRemittanceReceived,
} from '../../lambdas/core/x12/remittance-events.js';
import { X12Error, X12Tokenizer } from '../../lambdas/core/x12/tokenizer.js';
import { write835 } from '../../lambdas/core/x12/write-835.js';

/**
 * Issue #4, X12 part: the public sample files (test/fixtures/x12, see SOURCES.md) read, balance or
 * are refused with the exact reason and segment position.
 */
const SAMPLES = fileURLToPath(new URL('../fixtures/x12', import.meta.url));
const sample = (name: string) => readFileSync(`${SAMPLES}/${name}`);

/** Feeds a document in tiny chunks: segments and even the ISA straddle chunk boundaries. */
function* chunked(buffer: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < buffer.length; i += size) yield buffer.subarray(i, i + size);
}

const match = { encounterId: 'ENC-1', facilityId: 'FAC-1', payerId: 'PAYER-1' };

describe('X12 tokenizer', () => {
  it('reads the delimiters an ISA declares, in any chunking, with or without line breaks', () => {
    // Prepare: the 277CA that uses | as component separator and no line breaks
    const file = sample('imsweb-2.277');
    for (const size of [1, 7, 105, 106, 4096]) {
      // Act
      const tokenizer = new X12Tokenizer();
      const segments = [...chunked(file, size)].flatMap((chunk) => tokenizer.push(chunk));
      tokenizer.end();
      // Assess
      expect(segments.map((s) => s.id).slice(0, 3)).toEqual(['ISA', 'GS', 'ST']);
      expect(segments).toHaveLength(28);
      expect(segments[0]?.delimiters).toEqual({
        element: '*',
        repetition: '^',
        component: '|',
        segment: '~',
      });
      const stc = segments.find((s) => s.id === 'STC' && s.elements[0]?.startsWith('A7'));
      expect(stc?.elements[0]).toBe('A7|562|85');
    }
  });

  it('gives every segment its 1-based index and byte offset, CRLF files included', () => {
    const file = sample('pyx12-1.835');
    const tokenizer = new X12Tokenizer();
    const segments = tokenizer.push(file);
    const gs = segments[1];
    expect(gs).toMatchObject({ id: 'GS', index: 2, offset: file.indexOf('GS*') });
  });

  it('re-reads delimiters for a second interchange in the same file', () => {
    const first = sample('linuxforhealth-1.835').toString('latin1');
    const second = first.replaceAll('*', '|').replace('|^|00501', '|^|00501').replaceAll(':', '>');
    const tokenizer = new X12Tokenizer();
    const segments = tokenizer.push(`${first}\n${second}`);
    tokenizer.end();
    expect(segments.filter((s) => s.id === 'ISA')).toHaveLength(2);
    expect(segments.filter((s) => s.id === 'CLP')).toHaveLength(4);
  });

  it('refuses a file that ends inside a segment, with its position', () => {
    const file = sample('linuxforhealth-1.835').toString('latin1').replace(/~\s*$/, '');
    const tokenizer = new X12Tokenizer();
    tokenizer.push(file);
    expect(() => tokenizer.end()).toThrow(X12Error);
    try {
      tokenizer.end();
    } catch (error) {
      expect((error as X12Error).position).toMatchObject({ index: 30, segmentId: 'IEA' });
    }
  });
});

describe('835 samples', () => {
  it.each([
    ['linuxforhealth-1.835', 2, 94_500, 0],
    ['linuxforhealth-2.835', 2, 15_000_000, 1],
    ['linuxforhealth-3.835', 2, 122_200, 0],
    ['pyx12-2.835', 1, 0, 0],
    ['tastypackets-1.835', 3, 4_575, 0],
  ])('%s reads and balances (%i claims)', async (name, claims, bprCents, plbs) => {
    // Act
    const read = await read835(chunked(sample(name), 64));
    // Assess
    expect(read.issues).toEqual([]);
    expect(read.transactions).toHaveLength(1);
    const [transaction] = read.transactions;
    expect(transaction?.claims).toHaveLength(claims);
    expect(transaction?.payment.amountCents).toBe(bprCents);
    expect(transaction?.providerAdjustments).toHaveLength(plbs);
  });

  it('maps linuxforhealth-1.835 to canonical remittances with CAS at claim and service level', async () => {
    const read = await read835([sample('linuxforhealth-1.835')]);
    const planned = plannedRemittances(read.transactions);
    const [first] = planned.map((p) => toRemittanceReceived(p, match));
    expect(first).toEqual({
      remittanceId: '7170066655:94060555410000',
      ...match,
      claimId: '5554555444',
      payerClaimControlNumber: '94060555410000',
      claimStatus: '1',
      billedCents: 80_000,
      paidCents: 45_000,
      patientResponsibilityCents: 30_000,
      adjustments: [
        { group: 'CO', reason: 'A2', amountCents: 5_000 },
        { group: 'PR', reason: '1', amountCents: 30_000 },
      ],
      // BPR16 20002316 is not a date in this sample: the production date DTM*405 stands in.
      payment: { traceNumber: '7170066655', method: 'ACH', date: '2002-03-14' },
    });
    expect(read.warnings[0]?.path).toBe('segment:4 BPR');
  });

  it('reads a CAS segment with two reason/amount triplets (linuxforhealth-3.835)', async () => {
    const read = await read835([sample('linuxforhealth-3.835')]);
    const claim = read.transactions[0]?.claims[1];
    // This sample's ISA16 declares ":" yet SVC01 uses ">": only the declared separator splits a composite.
    expect(claim?.services.map((s) => s.procedure)).toEqual(['HC>12345>26', 'HC>66543>26']);
    expect(claim?.services[1]?.adjustments.map((a) => [a.group, a.reason, a.amountCents])).toEqual([
      ['PR', '1', 15_000],
      ['PR', '2', 7_000],
      ['CO', '42', 8_500],
    ]);
  });

  it('keeps a negative PLB (it increases the payment) as its own provider adjustment', async () => {
    const read = await read835([sample('linuxforhealth-2.835')]);
    const [plb] = providerAdjustments(read.transactions);
    expect(plb?.data).toMatchObject({
      adjustmentId: '12345:PLB:6543210903:CV:CP',
      providerId: '6543210903',
      reason: 'CV',
      reference: 'CP',
      amountCents: -127,
    });
    expect(plb?.position.segmentId).toBe('PLB');
  });

  it('tells apart three claims that share CLP01 by CLP07 (tastypackets-1.835)', async () => {
    const read = await read835([sample('tastypackets-1.835')]);
    const ids = plannedRemittances(read.transactions).map((p) => p.remittanceId);
    expect(new Set(ids).size).toBe(3);
    expect(read.transactions[0]?.claims.map((c) => c.claimId)).toEqual(
      Array(3).fill('PATIENT ACCOUNT NUMBER'),
    );
  });

  it('refuses the 4010 sample with a clear message at GS (pyx12-1.835)', async () => {
    const attempt = read835([sample('pyx12-1.835')]);
    await expect(attempt).rejects.toThrow(/004010X091A1 is a 4010 implementation guide/);
    await expect(attempt).rejects.toMatchObject({
      code: 'x12.unsupported-version',
      position: { index: 2, segmentId: 'GS', offset: 108 },
    });
  });

  it('refuses CAS group CR as 4010-only when it appears in a 5010 file', async () => {
    const text = sample('linuxforhealth-1.835')
      .toString('latin1')
      .replace('CAS*CO*A2*50.00', 'CAS*CR*A2*50.00');
    const read = await read835([text]);
    expect(read.issues[0]).toMatchObject({ path: 'segment:14 CAS' });
    expect(read.issues[0]?.message).toMatch(/CR .* exists only in 4010/);
  });

  it('a reversal (CLP02 22) with negated amounts balances and gets its own remittance id', async () => {
    const text = sample('linuxforhealth-1.835')
      .toString('latin1')
      .replace('BPR*I*945.00*C', 'BPR*I*495.00*C')
      .replace(
        'CLP*5554555444*1*800.00*450.00*300.00*12*94060555410000~\nCAS*CO*A2*50.00~\nNM1*QC*1*BUDD*WILLIAM****MI*33344555510~\nSVC*HC:99211*800.00*500.00~\nDTM*150*20020301~\nDTM*151*20020304~\nCAS*PR*1*300.00~',
        'CLP*5554555444*22*-800.00*-450.00*-300.00*12*94060555410000~\nCAS*CO*A2*-50.00~\nCAS*PR*1*-300.00~\nCLP*5554555444*1*800.00*450.00*300.00*12*94060555410000~\nCAS*CO*A2*50.00~\nCAS*PR*1*300.00~',
      )
      .replace('SE*26*112233', 'SE*25*112233');
    const read = await read835([text]);
    expect(read.issues).toEqual([]);
    expect(plannedRemittances(read.transactions).map((p) => p.remittanceId)).toEqual([
      '7170066655:94060555410000:22',
      '7170066655:94060555410000',
      '7170066655:94077799230000',
    ]);
  });
});

describe('835 envelopes with several transactions and interchanges', () => {
  it('reads two interchanges (different delimiters), the second with two transactions in one group', async () => {
    const spec = (controlNumber: string, traceNumber: string, claimId: string) => ({
      controlNumber,
      traceNumber,
      method: 'CHK' as const,
      date: '2026-11-30',
      payerName: 'ACME',
      payeeName: 'CLINIC',
      payeeNpi: '1234567893',
      claims: [
        {
          claimId,
          status: '1',
          billedCents: 10_000,
          paidCents: 9_000,
          filingIndicator: '12',
          payerClaimControlNumber: `P-${claimId}`,
          adjustments: [{ group: 'CO' as const, reason: '45', amountCents: 1_000 }],
          services: [],
          serviceDate: '2026-11-02',
        },
      ],
      providerAdjustments: [],
    });
    const first = [...write835(spec('0001', 'T1', 'C1'))].join('');
    const second = [
      ...write835([spec('0002', 'T2', 'C2'), spec('0003', 'T3', 'C3')], {
        delimiters: { element: '|', component: '>', segment: '\n', repetition: '!' },
        interchangeControlNumber: '000000002',
      }),
    ].join('');
    const read = await read835(chunked(Buffer.from(`${first}\r\n${second}`), 33));
    expect(read.issues).toEqual([]);
    expect(
      read.transactions.map((t) => [
        t.header.interchangeControlNumber,
        t.header.controlNumber,
        t.trace.traceNumber,
      ]),
    ).toEqual([
      ['000000001', '0001', 'T1'],
      ['000000002', '0002', 'T2'],
      ['000000002', '0003', 'T3'],
    ]);
  });

  it('writes a group of more than six adjustments as consecutive CAS segments, before the next group', () => {
    // Prepare: seven PR triplets, then a CO, then an eighth PR (the shape fast-check found, seed -1975285978)
    const pr = (amountCents: number) => ({ group: 'PR' as const, reason: '1', amountCents });
    const co = { group: 'CO' as const, reason: '45', amountCents: 100 };
    const adjustments = [pr(1), pr(2), pr(3), pr(4), pr(5), pr(6), pr(7), co, pr(8)];
    const claim = {
      claimId: 'C1',
      status: '1',
      billedCents: 10_136,
      paidCents: 10_000,
      filingIndicator: '12',
      payerClaimControlNumber: 'P-C1',
      adjustments,
      services: [],
      serviceDate: '2026-11-02',
    };
    // Act
    const text = [
      ...write835({
        controlNumber: '0001',
        traceNumber: 'T1',
        method: 'CHK',
        date: '2026-11-30',
        payerName: 'ACME',
        payeeName: 'CLINIC',
        payeeNpi: '1234567893',
        claims: [claim],
        providerAdjustments: [],
      }),
    ].join('');
    // Assess: PR 1–6, PR 7–8, then CO — the reader sees each group's triplets in their order
    const cas = text
      .split('~')
      .map((segment) => segment.trim())
      .filter((segment) => segment.startsWith('CAS'));
    expect(cas).toEqual([
      'CAS*PR*1*0.01**1*0.02**1*0.03**1*0.04**1*0.05**1*0.06',
      'CAS*PR*1*0.07**1*0.08',
      'CAS*CO*45*1.00',
    ]);
  });
});

describe('835 refusals name the segment and the numbers', () => {
  const base = () => sample('linuxforhealth-1.835').toString('latin1');

  it('a claim whose CAS does not explain the difference (CLP03 − ΣCAS ≠ CLP04)', async () => {
    const read = await read835([base().replace('CAS*CO*A2*50.00', 'CAS*CO*A2*40.00')]);
    expect(read.issues.map((i) => i.path)).toEqual(['segment:13 CLP']);
    expect(read.issues[0]?.message).toContain(
      'CLP03 800.00 − adjustments 340.00 (claim and service CAS) = 460.00, but CLP04 paid 450.00',
    );
  });

  it('a service line that does not balance (SVC02 − ΣCAS ≠ SVC03)', async () => {
    const read = await read835([base().replace('SVC*HC:99211*800.00*500.00', 'SVC*HC:99211*800.00*510.00')]);
    expect(read.issues.map((i) => i.path)).toEqual(['segment:16 SVC']);
  });

  it('BPR02 that is not Σ CLP04 − Σ PLB', async () => {
    const read = await read835([base().replace('BPR*I*945.00', 'BPR*I*954.00')]);
    expect(read.issues).toHaveLength(1);
    expect(read.issues[0]?.path).toBe('segment:4 BPR');
    expect(read.issues[0]?.message).toContain('BPR02 954.00 but Σ CLP04 945.00 − Σ PLB 0.00 = 945.00');
  });

  it('an amount that is not one', async () => {
    const read = await read835([base().replace('CLP*8765432112*1*1200.00', 'CLP*8765432112*1*12O0.00')]);
    expect(read.issues[0]).toMatchObject({ path: 'segment:20 CLP' });
    expect(read.issues[0]?.message).toContain('CLP03 total charge "12O0.00" is not an amount');
  });

  it('SE01, SE02, GE02 and IEA02 that disagree with what the envelope holds', async () => {
    const text = base()
      .replace('SE*26*112233', 'SE*25*112234')
      .replace('GE*1*1', 'GE*1*2')
      .replace('IEA*1*000000907', 'IEA*1*000000908');
    const read = await read835([text]);
    expect(read.issues.map((i) => i.path)).toEqual([
      'segment:28 SE',
      'segment:28 SE',
      'segment:29 GE',
      'segment:30 IEA',
    ]);
  });

  it('a wrong element delimiter in one segment', async () => {
    await expect(read835([base().replace('TRN*1*7170066655', 'TRN|1|7170066655')])).rejects.toMatchObject({
      position: { index: 5 },
    });
  });
});

describe('277 and 277CA', () => {
  it('maps a 277CA acceptance (A2) and its REF*1K', async () => {
    const read = await read277([sample('imsweb-1.277')]);
    expect(read.issues).toEqual([]);
    const [claim] = read.claims;
    expect(toClaimStatusChanged(claim as never, match)).toEqual({
      data: {
        statusId: '277:5781:A2:20:2011-03-11',
        claimId: '5781',
        encounterId: 'ENC-1',
        facilityId: 'FAC-1',
        status: 'accepted',
        payerCodes: [{ category: 'A2', code: '20' }],
        effectiveDate: '2011-03-11',
        payerClaimControlNumber: '1107000000014420',
      },
    });
  });

  it('maps a 277CA rejection (A7:562:85) with | as component separator', async () => {
    const read = await read277([sample('imsweb-2.277')]);
    const result = toClaimStatusChanged(read.claims[0] as never, match);
    expect(result).toMatchObject({
      data: { status: 'rejected', payerCodes: [{ category: 'A7', code: '562', entity: '85' }] },
    });
  });

  it('refuses linuxforhealth-1.277: its SE01 says 36 segments, the transaction has 38', async () => {
    const read = await read277([sample('linuxforhealth-1.277')]);
    expect(read.issues).toEqual([
      expect.objectContaining({
        path: 'segment:40 SE',
        message: expect.stringContaining('SE01 says 36 segments but transaction 0001 has 38'),
      }),
    ]);
    // With the count corrected it maps pended, paid and denied, the claim id from REF*EJ.
    const fixed = await read277([
      sample('linuxforhealth-1.277').toString('latin1').replace('SE*36*0001', 'SE*38*0001'),
    ]);
    expect(fixed.issues).toEqual([]);
    expect(fixed.claims.map((c) => [c.claimId, toClaimStatusChanged(c, match)])).toMatchObject([
      ['SM123456', { data: { status: 'pended' } }],
      ['J0234567', { data: { status: 'paid', payerClaimControlNumber: '0529675341' } }],
      ['MA345678', { data: { status: 'denied' } }],
    ]);
  });

  it.each([
    ['A1', undefined, 'accepted'],
    ['A2', undefined, 'accepted'],
    ['A3', undefined, 'rejected'],
    ['A4', undefined, 'rejected'],
    ['A6', undefined, 'rejected'],
    ['A7', undefined, 'rejected'],
    ['A8', undefined, 'rejected'],
    ['P3', undefined, 'pended'],
    ['R4', undefined, 'pended'],
    ['F0', 759_900, 'paid'],
    ['F0', 0, 'accepted'],
    ['F1', 100, 'paid'],
    ['F2', 0, 'denied'],
    ['F4', 0, 'denied'],
    ['E0', undefined, undefined],
  ])('category %s (paid %s) → %s', (category, paid, status) => {
    expect(hubClaimStatus(category, paid)).toBe(status);
  });

  it('refuses an 835 posted where a 277 is expected', async () => {
    await expect(read277([sample('linuxforhealth-1.835')])).rejects.toThrow(
      /GS08 005010X221A1 is not an implementation guide this route reads/,
    );
  });
});
