/**
 * The deposit entry the hub books for test/fixtures/x12/synthetic-era-plb.835 (BPR02 1,235.54; claims 1,250.00 of
 * which AMT*I 5.25; PLB L6 −7.50, WO 25.00, CS 2.21), line by line in Odoo's order: account code, debit − credit
 * in cents. Read the same through the hub on the sandbox and on a real Odoo.
 */
export const SYNTHETIC_ERA_DEPOSIT_LINES: ReadonlyArray<readonly [string, number]> = [
  ['101403', 123_554],
  ['101403', -125_000],
  ['451000', -525],
  ['451000', -750],
  ['121000', 2_500],
  ['655000', 221],
];
