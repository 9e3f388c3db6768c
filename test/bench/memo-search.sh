#!/usr/bin/env bash
# How the hub's look-up of payments by memo marker grows with the books (issue 16), in PostgreSQL alone.
#
# A round looks its claim payments up in one search: the OR of `memo ilike '[<ref>]'`, one per payment
# (adapters/odoo/receivables-ledger.ts `paymentMarker`). Odoo sends that to SQL as ILIKE '%…%'. On Odoo 17 the memo
# is the payment's move `ref`, which has a pg_trgm GIN index (`account_move__ref_index`); on Odoo 19 it is
# `account_payment.memo`, which has none. This builds a table of ROWS memos shaped as the hub writes them, then
# times that search for MARKERS payments without an index (Odoo 19) and with a trigram index (Odoo 17).
#
#   bash test/bench/memo-search.sh [ROWS=250000] [MARKERS=80]
#
# Needs PostgreSQL with pg_trgm (the one ../shared/odoo17/run-odoo17 installs) and the right to create a database.
# Not part of `npm run bench`: it measures the database, not the hub.
set -euo pipefail
rows=${1:-250000}
markers=${2:-80}
db=rcm_memo_search_bench
dropdb --if-exists "$db" >/dev/null 2>&1 || true
createdb "$db"
trap 'dropdb --if-exists "$db" >/dev/null 2>&1 || true' EXIT
psql -q -d "$db" -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION IF NOT EXISTS pg_trgm;
-- An ERA's claim payments as the hub names them: 'ERA <trace> claim <claim> [rcm:era:<trace>-<n>:payment]'.
CREATE TABLE payment (id serial PRIMARY KEY, memo varchar);
INSERT INTO payment (memo)
  SELECT 'ERA EFT' || (g / 2000) || ' claim CLM-' || g || ' [rcm:era:EFT' || (g / 2000) || '-' || g || ':payment]'
  FROM generate_series(1, $rows) AS g;
ANALYZE payment;
SQL
# The last ERA's markers: the payments a round looks for are the newest.
condition=$(for ((i = 0; i < markers; i++)); do
  n=$((rows - i))
  printf "%s memo ILIKE '%%[rcm:era:EFT%d-%d:payment]%%'" "$([[ $i -gt 0 ]] && echo ' OR')" $((n / 2000)) "$n"
done)
search() {
  # The best of three (the first warms the cache), as milliseconds of execution.
  local best=""
  for _ in 1 2 3; do
    local ms
    ms=$(psql -At -d "$db" -c "EXPLAIN (ANALYZE, FORMAT JSON) SELECT id FROM payment WHERE $condition" |
      python3 -c 'import json,sys; print(round(json.load(sys.stdin)[0]["Execution Time"]))')
    if [[ -z $best || $ms -lt $best ]]; then best=$ms; fi
  done
  found=$(psql -At -d "$db" -c "SELECT count(*) FROM payment WHERE $condition")
  [[ $found == "$markers" ]] || { echo "found $found of $markers" >&2; exit 1; }
  echo "$best"
}
plain=$(search)
psql -q -d "$db" -c 'CREATE INDEX ON payment USING gin (memo gin_trgm_ops)'
indexed=$(search)
echo "PostgreSQL $(psql -At -d "$db" -c 'SHOW server_version'): one search of $markers memo markers among $rows payments"
echo
echo '| memo column | ms per search (best of 3) |'
echo '| --- | ---: |'
echo "| no index (Odoo 19 \`account_payment.memo\`) | $plain |"
echo "| pg_trgm GIN (Odoo 17 \`account_move.ref\`) | $indexed |"
