/**
 * Odoo RPCs per claim line by ERA size (issue 16): the local hub and the Odoo sandbox, encounters billed to one
 * payer, then one ERA (one trace number) of N claim payments sent at once; every call that reaches the sandbox is
 * counted (`/__sandbox/stats`), from the first claim payment sent to all queues empty. Setup (patients, charges,
 * invoices, claims) and a warm-up ERA of one claim per kind (the writer's chart cache) are not counted. Counts are
 * exact and do not depend on the machine; the batches a round takes do (a round books what is ready once the ERA
 * has been quiet for `quietMs`, core/era-booking.ts).
 * Run alone: `npx tsx test/bench/era-size.ts` (BENCH_ERA_SIZES, default `50:paid,50,1000`; BENCH_ERA_BOOKING:
 * the writer's ODOO_ERA_BOOKING, `off` for the one-by-one path).
 */
import type { Hub } from '../../local/runtime.js';
import {
  type EraKind,
  eraBooks,
  eraClaims,
  eraPayerRequest,
  eraRemittanceRequest,
  eraSetupRequests,
  expectedEraAmounts,
  sendAll,
  sendEra,
  setUpEraClaims,
} from '../integration/support/era-scenario.js';
import { accessToken, apiCaller, odoo, startTestHub } from '../integration/support/hub.js';

export interface EraSizeCase {
  claims: number;
  kinds: EraKind[];
}

export interface EraSizeFigure extends EraSizeCase {
  rpcs: number;
  calls: Record<string, number>;
  seconds: number;
  /** Claims whose books differ from the posting rules' amounts (0 expected). */
  wrong: number;
}

export function eraSizeCasesFromEnv(env = process.env): EraSizeCase[] {
  return (env.BENCH_ERA_SIZES ?? '50:paid,50,1000')
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((spec) => {
      const [size, kind] = spec.trim().split(':');
      return {
        claims: Number(size),
        kinds: kind ? [kind as EraKind] : (['paid', 'co45', 'co45-pr'] as EraKind[]),
      };
    });
}

export async function benchEraSizes(
  cases: readonly EraSizeCase[],
  eraBooking = process.env.BENCH_ERA_BOOKING,
  log: (line: string) => void = () => undefined,
): Promise<EraSizeFigure[]> {
  const figures: EraSizeFigure[] = [];
  const run = Date.now().toString(36);
  let hub: Hub | undefined;
  try {
    hub = await startTestHub(eraBooking === undefined ? {} : { eraBooking });
    const active = hub;
    const call = apiCaller(active, await accessToken(active), `era-size-${run}`);
    const stats = async (method: 'GET' | 'DELETE') =>
      (await (await fetch(`${active.odooUrl}/__sandbox/stats`, { method })).json()) as {
        total: number;
        calls: Record<string, number>;
      };
    await sendAll(call, [eraPayerRequest()]);
    const warm = eraClaims(`${run}W`, 3);
    await setUpEraClaims(call, active, warm);
    await sendEra(call, active, warm, `EFT-${run}-WARM`);
    for (const [index, c] of cases.entries()) {
      const claims = eraClaims(`${run}C${index}`, c.claims, c.kinds);
      log(`ERA of ${c.claims} (${c.kinds.join(', ')}): setting up the encounters`);
      await sendAll(
        call,
        claims.flatMap((claim) => eraSetupRequests(claim).first),
      );
      await sendAll(
        call,
        claims.flatMap((claim) => eraSetupRequests(claim).then),
      );
      await active.waitForIdle();
      await stats('DELETE');
      const started = Date.now();
      await sendAll(
        call,
        claims.map((claim) => eraRemittanceRequest(claim, `EFT-${run}-${index}`)),
      );
      await active.waitForIdle();
      const seconds = (Date.now() - started) / 1000;
      const counted = await stats('GET');
      const books = await eraBooks(
        <T>(model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}) =>
          odoo<T>(active, model, method, args, kwargs),
        claims,
      );
      const wrong = claims.filter((claim) => {
        const held = books.get(claim.n);
        const want = expectedEraAmounts(claim);
        return (
          held?.payments.length !== 1 ||
          held.payments[0]?.amountCents !== want.payments[0]?.amountCents ||
          held.invoice?.residualCents !== 0 ||
          held.creditNotes.length !== want.creditNotes.length ||
          held.patientInvoices.length !== want.patientInvoices.length
        );
      }).length;
      figures.push({ ...c, rpcs: counted.total, calls: counted.calls, seconds, wrong });
      log(
        `ERA of ${c.claims}: ${counted.total} RPCs in ${seconds.toFixed(0)} s, ${wrong} claims booked wrong`,
      );
    }
    return figures;
  } finally {
    await hub?.close();
  }
}

export function eraSizeBenchLines(figures: readonly EraSizeFigure[], eraBooking?: string): string[] {
  return [
    `Odoo RPCs per claim line by ERA size (ERA booking ${eraBooking ?? 'on (default)'}; local hub, Odoo sandbox, every call counted from the first claim payment sent to all queues empty):`,
    '',
    '| ERA | claim kinds | Odoo RPCs | RPCs per claim line | booked wrong | time | mix |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- |',
    ...figures.map(
      (f) =>
        `| ${f.claims} claims | ${f.kinds.join(', ')} | ${f.rpcs} | ${(f.rpcs / f.claims).toFixed(3)} | ${f.wrong} | ${f.seconds.toFixed(0)} s | ${Object.entries(
          f.calls,
        )
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')} |`,
    ),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const figures = await benchEraSizes(eraSizeCasesFromEnv(), process.env.BENCH_ERA_BOOKING, (line) =>
    console.error(line),
  );
  for (const line of eraSizeBenchLines(figures, process.env.BENCH_ERA_BOOKING)) console.log(line);
}
