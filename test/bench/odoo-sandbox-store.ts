/**
 * The Odoo sandbox's store at month-end size (issue 16): `rows` rows of move-line and move shapes, then what one
 * committed call costs on disk (a call that creates a move with four lines and posts it), and what a whole
 * snapshot costs (what every call cost before the journal); and an ERA round's payment look-up by 500 markers.
 * Figures only.
 * Run alone: `npx tsx test/bench/odoo-sandbox-store.ts [rows]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matchesDomain, parseDomain } from '../../local/odoo-sandbox/domain.js';
import { Store } from '../../local/odoo-sandbox/store.js';

export interface SandboxStoreFigures {
  rows: number;
  /** one snapshot of every row (temp file + rename) */
  snapshotMs: number;
  /** mean of `calls` committed calls, each appended to the journal */
  commitMs: number;
  calls: number;
  /** An ERA round's payment look-up: an OR of `markers` ilike markers over `payments` memos (domain.ts). */
  markerLookup: { payments: number; markers: number; shortcutMs: number; leafByLeafMs: number };
}

export function benchSandboxStore(rows: number, calls = 200): SandboxStoreFigures {
  const dir = mkdtempSync(join(tmpdir(), 'bench-sandbox-store-'));
  try {
    const store = new Store(join(dir, 'odoo.json'));
    const moves = Math.ceil(rows / 5);
    store.transaction(() => {
      for (let i = 0; i < moves; i++) {
        const move = store.insert('account.move', {
          name: `INV/2026/${String(i + 1).padStart(5, '0')}`,
          ref: `CLM-${i}`,
          state: 'posted',
          move_type: 'out_invoice',
          partner_id: i,
          journal_id: 1,
          date: '2026-11-30',
          amount_total: 100,
          amount_residual: 0,
          payment_state: 'paid',
        });
        for (let j = 0; j < 4; j++)
          store.insert('account.move.line', {
            move_id: move.id,
            account_id: 5 + j,
            partner_id: i,
            name: `CLM-${i} line ${j}`,
            debit: j === 0 ? 100 : 0,
            credit: j === 0 ? 0 : 33.33,
            amount_residual: 0,
            date: '2026-11-30',
            matching_number: `P${i}`,
            reconciled: true,
            parent_state: 'posted',
          });
      }
    });
    let started = performance.now();
    store.persist();
    const snapshotMs = performance.now() - started;
    started = performance.now();
    for (let i = 0; i < calls; i++)
      store.transaction(() => {
        const move = store.insert('account.move', { ref: `X${i}`, state: 'draft', journal_id: 1 });
        for (let j = 0; j < 4; j++)
          store.insert('account.move.line', { move_id: move.id, debit: j === 0 ? 4 : 0 });
        store.update('account.move', move.id, { state: 'posted' });
      });
    const commitMs = (performance.now() - started) / calls;
    return { rows: moves * 5, snapshotMs, commitMs, calls, markerLookup: benchMarkerLookup(20_000, 500) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The OR of bracketed markers evaluated as `search` does (the shortcut) and leaf by leaf (as before 1056a0e),
 * over memos as the hub writes them; the markers name the last `markers` payments, so every one is found.
 */
function benchMarkerLookup(payments: number, markers: number): SandboxStoreFigures['markerLookup'] {
  const memos = Array.from({ length: payments }, (_, i) => `ACH TRN-0042 [rcm:pay:ERA-${i}]`);
  const leaves = Array.from({ length: markers }, (_, i) => [
    'memo',
    'ilike',
    `[rcm:pay:ERA-${payments - markers + i}]`,
  ]);
  const or = parseDomain([...Array(markers - 1).fill('|'), ...leaves]);
  const single = leaves.map((leaf) => parseDomain([leaf]));
  const count = (matches: (memo: string) => boolean) => {
    const started = performance.now();
    const found = memos.filter(matches).length;
    if (found !== markers) throw new Error(`found ${found} of ${markers} payments`);
    return performance.now() - started;
  };
  const access = (memo: string) => () => ({ kind: 'scalar' as const, value: memo });
  return {
    payments,
    markers,
    shortcutMs: count((memo) => matchesDomain(or, access(memo))),
    leafByLeafMs: count((memo) => single.some((leaf) => matchesDomain(leaf, access(memo)))),
  };
}

export function sandboxStoreBenchLines(f: SandboxStoreFigures): string[] {
  return [
    `Odoo sandbox data file at ${f.rows.toLocaleString('en-US')} rows (moves and their lines, \`--data\` as npm start runs it):`,
    '',
    '| operation | time |',
    '| --- | ---: |',
    `| one snapshot of every row (what each committed call cost before the journal) | ${f.snapshotMs.toFixed(1)} ms |`,
    `| one committed call (a move with four lines, posted), journal line (mean of ${f.calls}) | ${f.commitMs.toFixed(3)} ms |`,
    `| an ERA round's payment look-up, ${f.markerLookup.markers} ilike markers ORed over ${f.markerLookup.payments.toLocaleString('en-US')} payments: bracketed-run shortcut | ${f.markerLookup.shortcutMs.toFixed(1)} ms |`,
    `| the same, leaf by leaf (as before 1056a0e) | ${f.markerLookup.leafByLeafMs.toFixed(1)} ms |`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of sandboxStoreBenchLines(benchSandboxStore(Number(process.argv[2] ?? 125_000))))
    console.log(line);
}
