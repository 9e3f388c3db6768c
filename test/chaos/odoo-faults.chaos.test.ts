import { describe, expect, it } from 'vitest';
import { runChaos } from './support/chaos-run.js';

/**
 * Issue 12, the full chaos run (`npm run test:chaos`; figures in docs/chaos.md). Sizes and faults come from the
 * environment so CI and a person can run it at different scales:
 *   CHAOS_INVOICES (default 10000), CHAOS_CLIENTS (8), CHAOS_OUTAGE_SECONDS (600: a 10-minute outage),
 *   CHAOS_LATE_MS (16000: the answer comes after the hub's 15 s client timeout), CHAOS_DELAY_MS (3000),
 *   CHAOS_DRAIN_TIMEOUT_SECONDS (3600), CHAOS_VISIBILITY_SECONDS (30, the hub's write-queue visibility timeout); CHAOS_ODOO_URL / _DB / _USER / _API_KEY for a real Odoo (else the sandbox).
 */
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const invoices = env('CHAOS_INVOICES', 10_000);
const outageMs = env('CHAOS_OUTAGE_SECONDS', 600) * 1000;
const drainTimeoutMs = env('CHAOS_DRAIN_TIMEOUT_SECONDS', 3600) * 1000;

describe('invoices through a sick Odoo and a killed hub (full run)', () => {
  it(
    'are all posted once: 0 lost, 0 duplicate partners or moves, 0 dead-lettered after recovery',
    async () => {
      const report = await runChaos({
        invoices,
        invoicesPerEncounter: 2,
        encountersPerPayer: 10,
        clients: env('CHAOS_CLIENTS', 8),
        faults: {
          rates: { html500: 0.02, drop: 0.02, late: 0.005, delay: 0.01 },
          delayMs: env('CHAOS_DELAY_MS', 3_000),
          lateMs: env('CHAOS_LATE_MS', 16_000),
        },
        outageMs,
        outageAt: 0.25,
        killAt: 0.5,
        drainTimeoutMs,
        visibilitySeconds: env('CHAOS_VISIBILITY_SECONDS', 30),
        ...(process.env.CHAOS_ODOO_URL
          ? {
              odoo: {
                url: process.env.CHAOS_ODOO_URL,
                db: process.env.CHAOS_ODOO_DB ?? 'rcm17chaos',
                login: process.env.CHAOS_ODOO_USER ?? 'admin',
                apiKey: process.env.CHAOS_ODOO_API_KEY ?? 'admin',
              },
            }
          : {}),
        log: (line) => console.info(`[chaos] ${line}`),
      });
      console.info(`chaos report: ${JSON.stringify(report, null, 2)}`);
      expect(report.accepted).toBe(invoices);
      expect(report).toMatchObject({ lost: 0, duplicatePartners: 0, duplicateMoves: 0, deadLettered: 0 });
    },
    6 * 3600_000,
  );
});
