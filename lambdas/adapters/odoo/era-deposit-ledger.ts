import {
  CLAIM_INTEREST_LABEL,
  claimPaymentsLabelPrefix,
  type DepositBooked,
  type EraDepositPlan,
  eraDepositRef,
  eraPaymentMarkerPrefix,
  eraPaymentMemoPrefix,
  isEraClaimPaymentMemo,
} from '../../core/era-deposit.js';
import { centsToOdooAmount, formatCents, odooAmountToCents } from '../../core/money.js';
import { partnerRef } from '../../core/odoo-posting.js';
import { type LedgerSetup, ledgerSetupFromEnv, OdooChart } from './accounts.js';
import type { OdooClient } from './client.js';
import { OdooError } from './errors.js';
import { postDraft } from './posting.js';
import { escapeLike } from './receivables-ledger.js';

type Many2one = [number, string] | false;

interface MoveRow {
  id: number;
  name: string | false;
  state: 'draft' | 'posted' | 'cancel';
  amount_total: number;
}

/** A deposit entry as a search finds it (journal + ref): what `settle` needs of it. */
export type DepositEntryRow = MoveRow;

interface LineRow {
  id: number;
  name: string | false;
  balance: number;
  reconciled: boolean;
  amount_residual: number;
}

export interface BookedDeposit {
  moveId: number;
  /** Odoo already held the posted entry (a redelivery): nothing was created. */
  alreadyPresent: boolean;
  /** Claim payments of this ERA reconciled with the entry's claim-payments line by this call. */
  settledPaymentIds: number[];
}

/**
 * Books an ERA's deposit entry (core/era-deposit.ts) in Odoo, once:
 *  - the entry is found by journal + `ref` (the TRN02) before one is created; a draft left by a crash is posted,
 *    a posted one is kept — so a redelivered ERA books nothing twice;
 *  - every line carries the payer as partner and the trace in its label;
 *  - the claim-payments line is reconciled with the claim payments (account.payment, booked per encounter) whose
 *    memo carries this ERA's `[rcm:era:<TRN02>:` marker and are not yet reconciled; run again (a redelivery, a
 *    later claim) it picks up payments booked since. What stays open on it is cash the ERA announced for claims
 *    Odoo has no payment for yet.
 */
const ENV_SETUP = ledgerSetupFromEnv();

export class OdooEraDepositLedger {
  private readonly chart: OdooChart;

  constructor(
    private readonly odoo: OdooClient,
    setup: LedgerSetup = ENV_SETUP,
  ) {
    this.chart = OdooChart.of(odoo, setup);
  }

  async book(plan: EraDepositPlan): Promise<BookedDeposit> {
    const journalId = await this.chart.depositJournalId();
    let move = await this.findEntry(journalId, plan.ref);
    const alreadyPresent = move?.state === 'posted';
    if (move?.state === 'cancel') {
      // Cancelled by hand in Odoo: a person took it out of the books; the hub does not book it again.
      return { moveId: move.id, alreadyPresent: true, settledPaymentIds: [] };
    }
    if (move === undefined) move = await this.create(journalId, plan);
    if (move.state === 'draft') {
      const expected = plan.lines.reduce((sum, l) => sum + Math.max(l.balanceCents, 0), 0);
      if (odooAmountToCents(move.amount_total) !== expected) {
        throw new OdooError(
          'permanent',
          'rcm.TotalMismatch',
          `Odoo computed ${formatCents(odooAmountToCents(move.amount_total))} for ERA deposit ${plan.ref}, the plan says ${formatCents(expected)}; left in draft (move ${move.id})`,
        );
      }
      await postDraft(this.odoo, move);
    }
    const settledPaymentIds = plan.lines.some((l) => l.role === 'claimPayments')
      ? await this.settleClaimPayments(move.id, plan.traceNumber)
      : [];
    return { moveId: move.id, alreadyPresent, settledPaymentIds };
  }

  /**
   * What Odoo holds for an ERA, for reconciliation (core/era-deposit.ts `compareDeposit`): the deposit line, the
   * PLB lines of the deposit entry, and the hub's claim payments carrying the trace (a payment whose entry was
   * reversed counts for nothing).
   */
  async booked(traceNumber: string): Promise<DepositBooked & { moveId?: number; paymentIds: number[] }> {
    const journalId = await this.chart.depositJournalId();
    const move = await this.findEntry(journalId, eraDepositRef(traceNumber));
    let depositLineCents: number | undefined;
    let providerAdjustmentsCents = 0;
    if (move && move.state === 'posted') {
      const clearing = await this.chart.accountId('eraDepositClearing');
      const lines = await this.odoo.call<Array<LineRow & { account_id: Many2one }>>(
        'account.move.line',
        'search_read',
        [[['move_id', '=', move.id]]],
        { fields: ['name', 'balance', 'account_id', 'reconciled', 'amount_residual'] },
      );
      const depositPrefix = `ERA ${traceNumber} deposit`;
      for (const line of lines) {
        const name = typeof line.name === 'string' ? line.name : '';
        const onClearing = Array.isArray(line.account_id) && line.account_id[0] === clearing;
        if (onClearing && name.startsWith(depositPrefix))
          depositLineCents = (depositLineCents ?? 0) + odooAmountToCents(line.balance);
        else if (name.startsWith('PLB ') || name.startsWith(`${CLAIM_INTEREST_LABEL} `))
          providerAdjustmentsCents += odooAmountToCents(line.balance);
      }
    }
    const payments = await this.eraPayments(traceNumber);
    const moveIds = payments.flatMap((p) => (Array.isArray(p.move_id) ? [p.move_id[0]] : []));
    const reversed = moveIds.length
      ? await this.odoo.call<Array<{ reversed_entry_id: Many2one }>>(
          'account.move',
          'search_read',
          [
            [
              ['reversed_entry_id', 'in', moveIds],
              ['state', '=', 'posted'],
            ],
          ],
          { fields: ['reversed_entry_id'] },
        )
      : [];
    const reversedMoves = new Set(
      reversed.flatMap((r) => (Array.isArray(r.reversed_entry_id) ? [r.reversed_entry_id[0]] : [])),
    );
    const active = payments.filter((p) => !(Array.isArray(p.move_id) && reversedMoves.has(p.move_id[0])));
    return {
      ...(move?.state === 'posted' ? { moveId: move.id } : {}),
      ...(depositLineCents === undefined ? {} : { depositLineCents }),
      claimPaymentsCents: active.reduce((sum, p) => sum + odooAmountToCents(p.amount), 0),
      providerAdjustmentsCents,
      paymentIds: active.map((p) => p.id),
    };
  }

  /**
   * The hub's posted payments of this ERA: whose memo carries the trace's marker, or begins `ERA <TRN02> claim `
   * with a hub marker (a JSON partner's remittance ids do not start with the trace). Exact, case-sensitive.
   */
  private async eraPayments(
    traceNumber: string,
  ): Promise<Array<{ id: number; amount: number; move_id: Many2one; [field: string]: unknown }>> {
    const { paymentMemoField: memoField, livePaymentStates } = await this.odoo.dialect();
    const marker = eraPaymentMarkerPrefix(traceNumber);
    const prefix = eraPaymentMemoPrefix(traceNumber);
    const rows = await this.odoo.call<
      Array<{ id: number; amount: number; move_id: Many2one; [field: string]: unknown }>
    >(
      'account.payment',
      'search_read',
      [
        [
          '|',
          [memoField, 'ilike', escapeLike(marker)],
          [memoField, '=like', `${escapeLike(prefix)}%`],
          // Odoo 17 says `posted`; 18+ `in_process` or `paid` (dialect.ts).
          ['state', 'in', [...livePaymentStates]],
        ],
      ],
      { fields: [memoField, 'amount', 'move_id'] },
    );
    // ILIKE is case-insensitive: keep the exact matches only.
    return rows.filter((p) => {
      const memo = p[memoField];
      return typeof memo === 'string' && isEraClaimPaymentMemo(memo, traceNumber);
    });
  }

  private async findEntry(journalId: number, ref: string): Promise<MoveRow | undefined> {
    const rows = await this.odoo.call<MoveRow[]>(
      'account.move',
      'search_read',
      [
        [
          ['journal_id', '=', journalId],
          ['move_type', '=', 'entry'],
          ['ref', '=', ref],
        ],
      ],
      { fields: ['name', 'state', 'amount_total'], order: 'id' },
    );
    return depositEntryOf(rows, ref);
  }

  private async create(journalId: number, plan: EraDepositPlan): Promise<MoveRow> {
    const payerRef = partnerRef({ kind: 'payer', id: plan.payerId });
    const partners = await this.odoo.call<Array<{ id: number; property_account_receivable_id: Many2one }>>(
      'res.partner',
      'search_read',
      [[['ref', '=', payerRef]]],
      { fields: ['property_account_receivable_id'], limit: 2 },
    );
    if (partners.length > 1) {
      throw new OdooError(
        'permanent',
        'rcm.AmbiguousReference',
        `more than one Odoo partner carries ref ${payerRef}`,
      );
    }
    const payer = partners[0];
    if (payer === undefined) {
      throw new OdooError(
        'permanent',
        'rcm.UnknownPartner',
        `no Odoo partner carries ref ${payerRef} (ERA deposit ${plan.ref}); master data must be synced first`,
      );
    }
    const receivable = Array.isArray(payer.property_account_receivable_id)
      ? payer.property_account_receivable_id[0]
      : undefined;
    const lineIds: unknown[] = [];
    for (const line of plan.lines) {
      let accountId: number;
      if (line.account === 'payerReceivable') {
        if (receivable === undefined) {
          throw new OdooError(
            'permanent',
            'rcm.NoReceivable',
            `Odoo partner ${payer.id} (${payerRef}) has no receivable account`,
          );
        }
        accountId = receivable;
      } else accountId = await this.chart.accountId(line.account);
      const amount = centsToOdooAmount(Math.abs(line.balanceCents));
      lineIds.push([
        0,
        0,
        {
          account_id: accountId,
          partner_id: payer.id,
          name: line.label,
          debit: line.balanceCents > 0 ? amount : 0,
          credit: line.balanceCents < 0 ? amount : 0,
        },
      ]);
    }
    const [created] = await this.odoo.call<number[]>('account.move', 'create', [
      [
        {
          move_type: 'entry',
          journal_id: journalId,
          // The ERA's payment date, not the day of booking: the deposit belongs to the day the payer paid.
          date: plan.date,
          ref: plan.ref,
          partner_id: payer.id,
          line_ids: lineIds,
        },
      ],
    ]);
    if (created === undefined)
      throw new OdooError('transient', 'rcm.NoId', 'Odoo created no deposit entry id');
    const [row] = await this.odoo.call<MoveRow[]>('account.move', 'read', [[created]], {
      fields: ['name', 'state', 'amount_total'],
    });
    if (!row)
      throw new OdooError('transient', 'rcm.NoId', `Odoo deposit entry ${created} cannot be read back`);
    return row;
  }

  /**
   * Called after a claim payment of the ERA is booked (whichever of the two comes last reconciles): matches the
   * deposit entry's claim-payments line, if the deposit is booked, with the trace's claim payments not yet matched.
   */
  async settle(traceNumber: string, found?: readonly DepositEntryRow[]): Promise<number[]> {
    const ref = eraDepositRef(traceNumber);
    // `found`: the entries a search made after the claim payments were posted found (receivables-batch.ts).
    const move = found
      ? depositEntryOf(found, ref)
      : await this.findEntry(await this.chart.depositJournalId(), ref);
    if (move?.state !== 'posted') return [];
    return this.settleClaimPayments(move.id, traceNumber);
  }

  /**
   * Claim payments of one ERA are booked in parallel (one FIFO group per encounter), each then settling: two
   * writers can pick the same open line, and the second reconcile is refused "already reconciled". Reading again
   * leaves out what the first matched; after three rounds the rest waits for the next booking of the trace.
   */
  private async settleClaimPayments(moveId: number, traceNumber: string): Promise<number[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.settleOnce(moveId, traceNumber);
      } catch (error) {
        const raced = error instanceof OdooError && /already reconciled/i.test(error.message);
        if (!raced) throw error;
        if (attempt >= 2) return [];
      }
    }
  }

  private async settleOnce(moveId: number, traceNumber: string): Promise<number[]> {
    const clearing = await this.chart.accountId('eraDepositClearing');
    const [claimsLine] = await this.odoo.call<LineRow[]>(
      'account.move.line',
      'search_read',
      [
        [
          ['move_id', '=', moveId],
          ['account_id', '=', clearing],
          ['name', '=like', `${escapeLike(claimPaymentsLabelPrefix(traceNumber))}%`],
        ],
      ],
      { fields: ['name', 'balance', 'reconciled', 'amount_residual'], limit: 1 },
    );
    if (!claimsLine || claimsLine.reconciled) return [];
    const ids = (await this.eraPayments(traceNumber)).map((p) => p.id);
    if (!ids.length) return [];
    const lines = await this.odoo.call<Array<{ id: number; payment_id: Many2one }>>(
      'account.move.line',
      'search_read',
      [
        [
          ['payment_id', 'in', ids],
          ['account_id', '=', clearing],
          ['reconciled', '=', false],
          ['parent_state', '=', 'posted'],
        ],
      ],
      { fields: ['payment_id'] },
    );
    if (!lines.length) return [];
    await this.odoo.call('account.move.line', 'reconcile', [[claimsLine.id, ...lines.map((l) => l.id)]]);
    return [...new Set(lines.map((l) => (Array.isArray(l.payment_id) ? l.payment_id[0] : 0)))].filter(
      Boolean,
    );
  }
}

/** The deposit entry among those carrying its ref (in id order): the live one, else the oldest cancelled one. */
function depositEntryOf(rows: readonly DepositEntryRow[], ref: string): DepositEntryRow | undefined {
  const live = rows.filter((r) => r.state !== 'cancel');
  if (live.length > 1) {
    throw new OdooError(
      'permanent',
      'rcm.AmbiguousReference',
      `more than one Odoo deposit entry carries ref ${ref}: ${live.map((r) => r.id).join(', ')}`,
    );
  }
  return live[0] ?? rows[0];
}
