/**
 * X12 835 throughput: a generated 20,000-claim 835 (~15 MB), read by our streaming reader (tokenize,
 * envelope checks, 835 mapping, three-level balancing, remittance ids) and by node-x12 (parse into its object
 * model, then a walk that counts the CLPs and sums CLP04 — less work than ours) on the same bytes, in the same
 * process. Figures, never assertions. Run alone with `npx tsx test/bench/x12-835.ts`.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { X12Parser } from 'node-x12';
import { X12parser as StreamingX12Parser } from 'x12-parser';
import { type Remittance835, read835 } from '../../lambdas/core/x12/remittance-835.js';
import { plannedRemittances, toRemittanceReceived } from '../../lambdas/core/x12/remittance-events.js';
import { type ClaimSpec, type RemittanceSpec, write835 } from '../../lambdas/core/x12/write-835.js';

/** A professional ERA: ten service lines per claim (~750 bytes a claim, so 20,000 claims ≈ 15 MB), CO-45 write-offs, PR deductible/coinsurance. */
export function generatedRemittance(claims: number): RemittanceSpec {
  const specs: ClaimSpec[] = [];
  for (let i = 0; i < claims; i++) {
    const services = Array.from({ length: 10 }, (_, line) => {
      const charge = 10_000 + ((i * 7 + line * 13) % 90) * 125;
      const co = Math.round(charge * 0.2);
      const pr = line === 0 ? 2_000 : 0;
      return {
        procedure: `HC:${99211 + ((i + line) % 5)}`,
        chargeCents: charge,
        paidCents: charge - co - pr,
        adjustments: [
          { group: 'CO' as const, reason: '45', amountCents: co },
          ...(pr ? [{ group: 'PR' as const, reason: '1', amountCents: pr }] : []),
        ],
      };
    });
    specs.push({
      claimId: `CLM-${String(i).padStart(6, '0')}`,
      status: '1',
      billedCents: services.reduce((s, x) => s + x.chargeCents, 0),
      paidCents: services.reduce((s, x) => s + x.paidCents, 0),
      patientResponsibilityCents: 2_000,
      filingIndicator: '12',
      payerClaimControlNumber: `PCN${String(i).padStart(10, '0')}`,
      adjustments: [],
      services,
      serviceDate: '2026-11-02',
    });
  }
  return {
    controlNumber: '0001',
    traceNumber: 'EFT20261130001',
    method: 'ACH',
    date: '2026-11-30',
    payerName: 'ACME HEALTH PLAN',
    payeeName: 'NORTH CLINIC',
    payeeNpi: '1234567893',
    claims: specs,
    providerAdjustments: [{ reason: 'L6', amountCents: -1_250 }],
  };
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

function* chunksOf(buffer: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < buffer.length; i += size) yield buffer.subarray(i, i + size);
}

export interface X12BenchResult {
  claims: number;
  bytes: number;
  ours: { ms: number; mbPerSecond: number; claimsPerSecond: number; heapMb: number };
  oursKeepingClaims: { ms: number; mbPerSecond: number; claimsPerSecond: number };
  nodeX12: { ms: number; mbPerSecond: number; claimsPerSecond: number; heapMb: number } | { error: string };
  x12Parser: { ms: number; mbPerSecond: number; claimsPerSecond: number; heapMb: number } | { error: string };
  /** Per sample 835: CLP count and Σ CLP04 in cents as each reader sees them (correctness on real files). */
  samples: Array<{ file: string; ours: string; nodeX12: string; x12Parser: string }>;
}

/** x12-parser (tastypackets) is a Transform stream of segment objects `{ name, "1": …, "2": … }`. */
async function viaX12Parser(chunks: Iterable<Buffer>): Promise<{ count: number; paidCents: number }> {
  let count = 0;
  let paidCents = 0;
  await new Promise<void>((resolve, reject) => {
    const parser = new StreamingX12Parser();
    parser.on('data', (segment: Record<string, string>) => {
      if (segment.name !== 'CLP') return;
      count += 1;
      paidCents += Math.round(Number(segment['4']) * 100);
    });
    parser.on('error', reject);
    parser.on('end', () => resolve());
    Readable.from(chunks).on('error', reject).pipe(parser);
  });
  return { count, paidCents };
}

function viaNodeX12(text: string): { count: number; paidCents: number } {
  const interchange = new X12Parser(true).parse(text) as unknown as {
    functionalGroups: Array<{
      transactions: Array<{ segments: Array<{ tag: string; valueOf(n: number): string }> }>;
    }>;
  };
  let count = 0;
  let paidCents = 0;
  for (const group of interchange.functionalGroups)
    for (const transaction of group.transactions)
      for (const segment of transaction.segments)
        if (segment.tag === 'CLP') {
          count += 1;
          paidCents += Math.round(Number(segment.valueOf(4)) * 100);
        }
  return { count, paidCents };
}

const SAMPLES_DIR = new URL('../fixtures/x12/', import.meta.url);

/** Each public sample 835 through the three readers: what claims and paid total does each one see? */
async function sampleAgreement(): Promise<X12BenchResult['samples']> {
  const rows: X12BenchResult['samples'] = [];
  let files: string[] = [];
  try {
    files = readdirSync(SAMPLES_DIR)
      .filter((f) => f.endsWith('.835'))
      .sort();
  } catch {
    return rows;
  }
  const describe = async (work: () => Promise<{ count: number; paidCents: number }>) => {
    try {
      const r = await work();
      return `${r.count} claims, ${(r.paidCents / 100).toFixed(2)}`;
    } catch (error) {
      return `refused: ${(error as Error).message.split('\n')[0]?.slice(0, 60)}`;
    }
  };
  for (const file of files) {
    const buffer = readFileSync(join(fileURLToPath(SAMPLES_DIR), file));
    rows.push({
      file,
      ours: await describe(async () => {
        const read = await read835(chunksOf(buffer, 64 * 1024));
        if (read.issues.length > 0) throw new Error(read.issues[0]?.message ?? 'refused');
        const claims = read.transactions.flatMap((t) => t.claims);
        return { count: claims.length, paidCents: claims.reduce((sum, c) => sum + c.paidCents, 0) };
      }),
      nodeX12: await describe(async () => viaNodeX12(buffer.toString('latin1'))),
      x12Parser: await describe(() => viaX12Parser([buffer])),
    });
  }
  return rows;
}

export async function benchX12(claims = 20_000, runs = 3): Promise<X12BenchResult> {
  const text = [...write835(generatedRemittance(claims), { lineBreak: '\n' })].join('');
  const buffer = Buffer.from(text, 'latin1');
  const mb = buffer.length / 1e6;

  // Ours, as the upload path runs it: stream in 64 KiB chunks, balance each claim as it closes, map it to
  // its remittance id and canonical amounts, keep nothing but the sums.
  const ourTimes: number[] = [];
  let ourHeap = 0;
  for (let run = 0; run < runs; run++) {
    const before = process.memoryUsage().heapUsed;
    const started = performance.now();
    let mapped = 0;
    const read = await read835(chunksOf(buffer, 64 * 1024), {
      keepClaims: false,
      onClaim: (claim, transaction) => {
        const [planned] = plannedRemittances([
          { ...(transaction as Remittance835), claims: [claim], providerAdjustments: [] },
        ]);
        if (planned) toRemittanceReceived(planned, { encounterId: 'E', facilityId: 'F', payerId: 'P' });
        mapped += 1;
        return undefined;
      },
    });
    ourTimes.push(performance.now() - started);
    ourHeap = Math.max(ourHeap, (process.memoryUsage().heapUsed - before) / 1e6);
    if (read.issues.length > 0 || mapped !== claims)
      throw new Error(`our reader disagrees: ${read.issues[0]?.message ?? mapped}`);
  }
  const ms = median(ourTimes);

  // Ours, keeping every claim in memory (what the inline ≤ 256 KB path does), for the record.
  const keptTimes: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const read = await read835(chunksOf(buffer, 64 * 1024));
    plannedRemittances(read.transactions);
    keptTimes.push(performance.now() - started);
  }
  const keptMs = median(keptTimes);

  let nodeX12: X12BenchResult['nodeX12'];
  try {
    const times: number[] = [];
    let heap = 0;
    for (let run = 0; run < runs; run++) {
      const before = process.memoryUsage().heapUsed;
      const started = performance.now();
      const { count, paidCents: paid } = viaNodeX12(text);
      times.push(performance.now() - started);
      heap = Math.max(heap, (process.memoryUsage().heapUsed - before) / 1e6);
      if (count !== claims || paid <= 0) throw new Error(`node-x12 found ${count} claims`);
    }
    const t = median(times);
    nodeX12 = { ms: t, mbPerSecond: mb / (t / 1000), claimsPerSecond: claims / (t / 1000), heapMb: heap };
  } catch (error) {
    nodeX12 = { error: (error as Error).message };
  }
  let x12Parser: X12BenchResult['x12Parser'];
  try {
    const times: number[] = [];
    let heap = 0;
    for (let run = 0; run < runs; run++) {
      const before = process.memoryUsage().heapUsed;
      const started = performance.now();
      const seen = await viaX12Parser(chunksOf(buffer, 64 * 1024));
      times.push(performance.now() - started);
      heap = Math.max(heap, (process.memoryUsage().heapUsed - before) / 1e6);
      if (seen.count !== claims || seen.paidCents <= 0)
        throw new Error(`x12-parser found ${seen.count} claims`);
    }
    const t = median(times);
    x12Parser = { ms: t, mbPerSecond: mb / (t / 1000), claimsPerSecond: claims / (t / 1000), heapMb: heap };
  } catch (error) {
    x12Parser = { error: (error as Error).message };
  }
  return {
    claims,
    bytes: buffer.length,
    x12Parser,
    samples: await sampleAgreement(),
    ours: { ms, mbPerSecond: mb / (ms / 1000), claimsPerSecond: claims / (ms / 1000), heapMb: ourHeap },
    oursKeepingClaims: {
      ms: keptMs,
      mbPerSecond: mb / (keptMs / 1000),
      claimsPerSecond: claims / (keptMs / 1000),
    },
    nodeX12,
  };
}

export function x12BenchLines(r: X12BenchResult): string[] {
  const row = (
    name: string,
    f: { ms: number; mbPerSecond: number; claimsPerSecond: number; heapMb?: number },
  ) =>
    `| ${name} | ${f.ms.toFixed(0)} ms | ${f.mbPerSecond.toFixed(1)} MB/s | ${Math.round(f.claimsPerSecond).toLocaleString('en-US')} claims/s | ${f.heapMb === undefined ? '—' : `${f.heapMb.toFixed(0)} MB`} |`;
  const lines = [
    `X12 835, ${r.claims.toLocaleString('en-US')} claims (${(r.bytes / 1e6).toFixed(1)} MB), median of 3 runs, same process and input:`,
    '',
    '| reader | time | throughput | claims | heap growth |',
    '| --- | ---: | ---: | ---: | ---: |',
    row('rcm-hub read835, streaming (64 KiB chunks; balance + map each claim, keep sums)', r.ours),
    row('rcm-hub read835, keeping every claim in memory', r.oursKeepingClaims),
  ];
  if ('error' in r.x12Parser) lines.push(`| x12-parser 1.3.0 stream | failed: ${r.x12Parser.error} | | | |`);
  else
    lines.push(
      row('x12-parser 1.3.0 stream (segments only, no envelope checks or balancing) + CLP sum', r.x12Parser),
    );
  if ('error' in r.nodeX12) lines.push(`| node-x12 1.7.1 parse | failed: ${r.nodeX12.error} | | | |`);
  else {
    lines.push(row('node-x12 1.7.1 parse (whole string) + CLP walk', r.nodeX12));
    lines.push(
      '',
      `Speed-up over node-x12: ${(r.nodeX12.ms / r.ours.ms).toFixed(1)}× streaming, ${(r.nodeX12.ms / r.oursKeepingClaims.ms).toFixed(1)}× keeping claims.`,
    );
  }
  if (r.samples.length > 0) {
    lines.push(
      '',
      'The public sample 835s (claims, Σ CLP04) as each reader sees them:',
      '',
      '| sample | rcm-hub | node-x12 | x12-parser |',
      '| --- | --- | --- | --- |',
    );
    for (const sample of r.samples)
      lines.push(`| ${sample.file} | ${sample.ours} | ${sample.nodeX12} | ${sample.x12Parser} |`);
  }
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of x12BenchLines(await benchX12())) console.log(line);
}
