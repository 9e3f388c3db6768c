"""What a claim payment costs inside a real Odoo 17 itself, with no HTTP, no hub and no other caller (issue 16).

The hub books an ERA round in three writing calls (adapters/odoo/receivables-batch.ts): one `account.payment.create`
of every payment with its CO-45 write-off, one `account.move.line.load` of the temporary matching numbers, one
`account.move.action_post` that reconciles them. This runs the same three calls in Odoo's own process, as the
integration user, on invoices it creates first, and prints their time per payment: the floor under which no
batching on the hub's side can bring a round on one Odoo worker. Everything is rolled back.

    python3 test/bench/odoo-floor.py --db rcm17bench [--payments 100] [--runs 3] [--profile] [--context JSON]

Needs the Odoo tree of `../shared/odoo17/run-odoo17` (RCM_ODOO17_HOME, default ~/.cache/rcm-odoo17), a database it
started (with its `odoo-<port>.conf`), and `npm run odoo:setup` done on it (the write-off account's external id).
Use Debian's /usr/bin/python3, which has Odoo's dependencies. Not part of `npm run bench`: it needs a real Odoo.
"""

import argparse
import cProfile
import glob
import io
import json
import os
import pstats
import statistics
import sys
import time

HOME = os.environ.get('RCM_ODOO17_HOME', os.path.expanduser('~/.cache/rcm-odoo17'))
sys.path.insert(0, os.path.join(HOME, 'src'))

import odoo  # noqa: E402
from odoo.tools import config  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument('--db', required=True)
parser.add_argument('--payments', type=int, default=100)
parser.add_argument('--runs', type=int, default=3)
parser.add_argument('--profile', action='store_true', help='print the 30 costliest calls of each step')
parser.add_argument('--context', default='{}', help='an Odoo context for the three calls, e.g. {"tracking_disable": true}')
args = parser.parse_args()

conf = sorted(glob.glob(os.path.join(HOME, 'odoo-*.conf')))
if not conf:
    sys.exit(f'no odoo-<port>.conf in {HOME}: start the database with run-odoo17 first')
config.parse_config(['-c', conf[0], '-d', args.db])
registry = odoo.registry(args.db)


def timed(label, work, env, results, profile):
    """Runs one step and flushes what it left to write, as the end of its RPC would."""
    profiler = cProfile.Profile() if profile else None
    began = time.perf_counter()
    if profiler:
        profiler.enable()
    answer = work()
    env.flush_all()
    if profiler:
        profiler.disable()
    results.setdefault(label, []).append((time.perf_counter() - began) * 1000 / args.payments)
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats('cumulative').print_stats(30)
        print(f'--- {label}\n{text.getvalue()}')
    return answer


def one_run(results, profile):
    with registry.cursor() as cr:
        root = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        clerk = root['res.users'].search([('login', '=', 'rcm-hub')], limit=1)
        env = odoo.api.Environment(cr, clerk.id or odoo.SUPERUSER_ID, json.loads(args.context))
        write_off = env.ref('rcm_hub.account_contractual_adjustments')
        journal = env['account.journal'].search([('code', '=', 'BNK1')], limit=1)
        payer = env['res.partner'].create({'name': 'Floor bench payer', 'is_company': True})
        income = env['account.journal'].search([('type', '=', 'sale')], limit=1).default_account_id
        # Setup, not timed: the payer's posted invoices, one line each, as the hub's invoices are.
        invoices = env['account.move'].create(
            [
                {
                    'move_type': 'out_invoice',
                    'partner_id': payer.id,
                    'invoice_date': '2026-11-02',
                    'ref': f'FLOOR-{n:05d}',
                    'invoice_line_ids': [
                        (0, 0, {'name': 'Office visit', 'quantity': 1, 'price_unit': 100.0,
                                'account_id': income.id, 'tax_ids': [(6, 0, [])]})
                    ],
                }
                for n in range(args.payments)
            ]
        )
        invoices.action_post()
        env.flush_all()
        receivable = {
            line.move_id.id: line
            for line in env['account.move.line'].search(
                [('move_id', 'in', invoices.ids), ('account_type', '=', 'asset_receivable')]
            )
        }
        values = [
            {
                'payment_type': 'inbound',
                'partner_type': 'customer',
                'partner_id': payer.id,
                'amount': 80.0,
                'date': '2026-11-30',
                'journal_id': journal.id,
                'ref': f'FLOOR ERA claim {invoice.ref}',
                'destination_account_id': receivable[invoice.id].account_id.id,
                'write_off_line_vals': [
                    {'name': 'CO-45', 'account_id': write_off.id, 'partner_id': payer.id,
                     'amount_currency': 20.0, 'balance': 20.0}
                ],
            }
            for invoice in invoices
        ]
        payments = timed('account.payment.create', lambda: env['account.payment'].create(values), env, results, profile)
        counterpart = {
            line.payment_id.id: line
            for line in env['account.move.line'].search(
                [('payment_id', 'in', payments.ids), ('account_type', '=', 'asset_receivable')]
            )
        }
        rows = []
        for payment, invoice in zip(payments, invoices):
            mark = f'I{payment.id}'
            rows += [[str(receivable[invoice.id].id), mark], [str(counterpart[payment.id].id), mark]]
        loaded = timed(
            'account.move.line.load (matching numbers)',
            lambda: env['account.move.line'].load(['.id', 'matching_number'], rows),
            env, results, profile,
        )
        if not loaded['ids']:
            sys.exit(f'Odoo refused the matching numbers: {loaded["messages"]}')
        timed('account.move.action_post (reconciles)', lambda: payments.move_id.action_post(), env, results, profile)
        unpaid = [i.ref for i in invoices if i.payment_state not in ('paid', 'in_payment')]
        if unpaid:
            sys.exit(f'not paid after the round: {unpaid[:5]}')
        cr.rollback()


results = {}
for run in range(args.runs):
    one_run(results, args.profile and run == 0)
print(f'Odoo {odoo.release.version}, database {args.db}: rounds of {args.payments} claim payments with a CO-45 '
      f'write-off, {args.runs} runs, in Odoo\'s process (no HTTP), context {args.context}, rolled back.\n')
print('| step | ms per claim payment (median) | runs |')
print('| --- | ---: | --- |')
total = []
for label, values in results.items():
    print(f'| {label} | {statistics.median(values):.1f} | {", ".join(f"{v:.1f}" for v in values)} |')
    total.append(statistics.median(values))
print(f'| **the three together** | **{sum(total):.1f}** | |')
