/**
 * `GET /v1/exceptions?sort=priority|exposure`: the open queue by revenue exposure, highest first, each with its
 * priority rank within its team (lambdas/core/triage/exposure.ts). Ranks need the whole open queue, so the
 * filtered open entries are read (bounded) and paged by offset.
 */

import type { ExceptionStore } from '../../adapters/dynamodb/exception-store.js';
import { InvalidCursor } from '../../adapters/dynamodb/items.js';
import type { AuditLine } from '../../core/audit.js';
import {
  type ExceptionEntry,
  type ExceptionListQuery,
  type ExceptionView,
  exceptionView,
} from '../../core/exceptions.js';
import { priorityOrder, rankByTeam } from '../../core/triage/exposure.js';

/** Open entries read to rank; beyond this the queue is a backlog to drain, not to rank one by one. */
const RANK_LIMIT = 2000;

export function rankable(entry: ExceptionEntry) {
  return {
    id: entry.id,
    team: entry.team,
    exposureCents: entry.triage?.exposureCents ?? 0,
    openedAt: entry.openedAt,
  };
}

export async function openQueue(
  register: ExceptionStore,
  query: Omit<ExceptionListQuery, 'limit' | 'cursor' | 'sort'>,
): Promise<ExceptionEntry[]> {
  const entries: ExceptionEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await register.list({ ...query, status: 'open', limit: 200, ...(cursor ? { cursor } : {}) });
    entries.push(...page.items);
    cursor = page.cursor;
  } while (cursor && entries.length < RANK_LIMIT);
  return entries;
}

export function withRank(
  entry: ExceptionEntry,
  trail: readonly AuditLine[],
  ranks: Map<string, number>,
): ExceptionView {
  const view = exceptionView(entry, trail);
  const rank = ranks.get(entry.id);
  return view.triage && rank !== undefined
    ? { ...view, triage: { ...view.triage, priorityRank: rank } }
    : view;
}

export async function prioritizedPage(
  register: ExceptionStore,
  query: ExceptionListQuery,
  /** The caller's view (docs/security.md#reads): what it may not see is neither listed nor counted. */
  visible: (entry: ExceptionEntry) => boolean,
): Promise<{ items: ExceptionView[]; nextCursor?: string }> {
  const { limit, cursor, sort: _sort, ...filters } = query;
  let offset = 0;
  if (cursor) {
    const decoded = /^p(\d{1,6})$/.exec(Buffer.from(cursor, 'base64url').toString());
    if (!decoded) throw new InvalidCursor();
    offset = Number(decoded[1]);
  }
  const entries = (await openQueue(register, filters)).filter(visible);
  // Ranks are per team over the whole open queue of that team, whatever else the query filters on.
  const teams = [...new Set(entries.map((e) => e.team))];
  const ranks = new Map<string, number>();
  for (const team of teams) {
    const teamQueue =
      filters.payerId ||
      filters.encounterId ||
      filters.claimId ||
      filters.invoiceId ||
      filters.traceNumber ||
      filters.correlationId
        ? await openQueue(register, { team })
        : entries.filter((e) => e.team === team);
    for (const [id, rank] of rankByTeam(teamQueue.map(rankable))) ranks.set(id, rank);
  }
  const sorted = [...entries].sort((a, b) => priorityOrder(rankable(a), rankable(b)));
  const page = sorted.slice(offset, offset + limit);
  const next =
    offset + limit < sorted.length ? Buffer.from(`p${offset + limit}`).toString('base64url') : undefined;
  const trails = await Promise.all(page.map((e) => register.auditTrail(e.id)));
  return {
    items: page.map((e, i) => withRank(e, trails[i] ?? [], ranks)),
    ...(next ? { nextCursor: next } : {}),
  };
}
