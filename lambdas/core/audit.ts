import { createHash } from 'node:crypto';
import * as z from 'zod';

/**
 * The append-only, tamper-evident audit trail (docs/security.md#audit). Every audit-worthy action — an exception
 * opened, triaged, retried, resolved, cleared, a quarantined webhook replayed — is one line in a *stream* (one per
 * exception, one per quarantined delivery). Each line carries the SHA-256 of its canonical form, which covers the
 * previous line's hash: changing a stored line, deleting one or inserting one breaks the chain at that point.
 * Lines are numbered from 1 without gaps, so a missing line is found even when the rest still links.
 * Everything here is pure; lambdas/adapters/dynamodb/audit-log.ts stores the lines (PutItem only, conditional).
 */
export const AUDIT_ACTIONS = [
  'opened',
  'triaged',
  'retried',
  'retry-failed',
  'resolved',
  'cleared',
  'replayed',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** The `prevHash` of a stream's first line. */
export const GENESIS_HASH = '0'.repeat(64);

/** What a writer says about an action; the log adds the stream position and the hashes. */
export interface AuditFact {
  at: string;
  action: AuditAction;
  /** OAuth client id of the caller (or of the event's cause for `opened`, or the automation's name). */
  actor: string;
  note?: string;
  /**
   * For an exception stream, the version of the register entry this action produced (1 = opened). Every change
   * of an entry is one line, so the trail must reach the entry's current version: a deleted last line shows.
   */
  entryVersion?: number;
}

export interface AuditLine extends AuditFact {
  stream: string;
  /** 1, 2, 3… within the stream. */
  seq: number;
  prevHash: string;
  hash: string;
}

export const auditStreams = {
  exception: (exceptionId: string) => `exception#${exceptionId}`,
  webhook: (source: string, deliveryId: string) => `webhook#${source}#${deliveryId}`,
} as const;

/** JSON with member names sorted at every level and undefined members left out: one spelling per value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  const members = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`);
  return `{${members.join(',')}}`;
}

/** The hash of a line: SHA-256 (hex) over its canonical form without `hash`, which includes `prevHash`. */
export function lineHash(line: Omit<AuditLine, 'hash'>): string {
  const { stream, seq, prevHash, at, action, actor, note, entryVersion } = line;
  return createHash('sha256')
    .update(canonicalJson({ stream, seq, prevHash, at, action, actor, note, entryVersion }))
    .digest('hex');
}

/**
 * The line chained to `previous` (undefined: the stream's first), numbered `seq` (by default the next one; an
 * exception's line takes its entry version, so a lost line before it stays a visible gap).
 */
export function chainLine(
  stream: string,
  previous: AuditLine | undefined,
  fact: AuditFact,
  seq = (previous?.seq ?? 0) + 1,
): AuditLine {
  const body = {
    stream,
    seq,
    prevHash: previous?.hash ?? GENESIS_HASH,
    at: fact.at,
    action: fact.action,
    actor: fact.actor,
    ...(fact.note !== undefined ? { note: fact.note } : {}),
    ...(fact.entryVersion !== undefined ? { entryVersion: fact.entryVersion } : {}),
  };
  return { ...body, hash: lineHash(body) };
}

/** Same action by the same actor at the same moment: a redelivered write of a line already stored. */
export function sameFact(line: AuditLine, fact: AuditFact): boolean {
  return (
    line.action === fact.action &&
    line.actor === fact.actor &&
    line.at === fact.at &&
    line.note === fact.note &&
    line.entryVersion === fact.entryVersion
  );
}

export type BrokenLink =
  /** A line's stored hash is not the hash of its content: the line was changed. */
  | { seq: number; problem: 'altered' }
  /** A line's `prevHash` is not the previous line's hash: a line before it was changed or replaced. */
  | { seq: number; problem: 'unlinked' }
  /** The numbering skips `seq`: that line was deleted (or never written). */
  | { seq: number; problem: 'missing' }
  /** The trail ends before the exception's current version: its last line(s) were deleted. */
  | { seq: number; problem: 'truncated'; expectedVersion: number; lastVersion: number }
  /** A line belongs to another stream (copied in from elsewhere). */
  | { seq: number; problem: 'foreign' };

export interface ChainVerdict {
  stream: string;
  intact: boolean;
  lines: number;
  /** The last line's hash: what an auditor writes down to notice a later rewrite of the whole tail. */
  head?: string;
  /** The first broken link, walking from the first line. */
  firstBroken?: BrokenLink;
}

/**
 * Walks a stream's lines (in any order; sorted here) from the first and reports the first broken link.
 * `expectedVersion`: for an exception stream, the register entry's version, which the last line must carry.
 */
export function verifyChain(
  stream: string,
  lines: readonly AuditLine[],
  expected: { entryVersion?: number } = {},
): ChainVerdict {
  const sorted = [...lines].sort((a, b) => a.seq - b.seq);
  let previousHash = GENESIS_HASH;
  for (const [index, line] of sorted.entries()) {
    const seq = index + 1;
    const broken = (firstBroken: BrokenLink): ChainVerdict => ({
      stream,
      intact: false,
      lines: sorted.length,
      firstBroken,
    });
    if (line.seq !== seq) return broken({ seq, problem: 'missing' });
    if (line.stream !== stream) return broken({ seq, problem: 'foreign' });
    const { hash, ...body } = line;
    if (lineHash(body) !== hash) return broken({ seq, problem: 'altered' });
    if (line.prevHash !== previousHash) return broken({ seq, problem: 'unlinked' });
    previousHash = hash;
  }
  const last = sorted.at(-1);
  if (expected.entryVersion !== undefined && (last?.entryVersion ?? 0) < expected.entryVersion) {
    return {
      stream,
      intact: false,
      lines: sorted.length,
      firstBroken: {
        seq: sorted.length + 1,
        problem: 'truncated',
        expectedVersion: expected.entryVersion,
        lastVersion: last?.entryVersion ?? 0,
      },
    };
  }
  return { stream, intact: true, lines: sorted.length, ...(last ? { head: last.hash } : {}) };
}

// ---- API shape (GET /v1/exceptions/{exceptionId}/audit) ----

const BrokenLinkView = z
  .object({
    seq: z.number().int().meta({ description: 'The first line whose link is broken (or the one missing)' }),
    problem: z.enum(['altered', 'unlinked', 'missing', 'truncated', 'foreign']).meta({
      description:
        'altered: the line is not what its hash covers; unlinked: its prevHash is not the previous line’s hash; missing: the numbering skips it; truncated: the trail ends before the exception’s current version; foreign: the line belongs to another stream',
    }),
    expectedVersion: z.number().int().optional(),
    lastVersion: z.number().int().optional(),
  })
  .meta({ id: 'AuditBrokenLink' });

export const AuditTrailView = z
  .object({
    stream: z.string().meta({ description: 'exception#<exceptionId>' }),
    verification: z
      .object({
        intact: z.boolean(),
        lines: z.number().int(),
        head: z
          .string()
          .optional()
          .meta({ description: 'SHA-256 of the last line: note it to notice a later rewrite of the tail' }),
        firstBroken: BrokenLinkView.optional(),
      })
      .meta({ description: 'The chain walked from its first line; the first broken link if any' }),
    lines: z.array(
      z.object({
        seq: z.number().int(),
        at: z.string(),
        action: z.enum(AUDIT_ACTIONS),
        actor: z.string().meta({ description: 'OAuth client id (or the automation) that acted' }),
        note: z.string().optional(),
        entryVersion: z.number().int().optional(),
        prevHash: z.string(),
        hash: z.string().meta({ description: 'SHA-256 (hex) of the canonical line, prevHash included' }),
      }),
    ),
  })
  .meta({ id: 'AuditTrail' });
export type AuditTrailView = z.infer<typeof AuditTrailView>;

/** An exception's stored lines, first first, with the verdict of walking them. */
export function verifiedTrailView(
  exceptionId: string,
  lines: readonly AuditLine[],
  entryVersion: number,
): AuditTrailView {
  const stream = auditStreams.exception(exceptionId);
  const { stream: _s, ...verification } = verifyChain(stream, lines, { entryVersion });
  return {
    stream,
    verification,
    lines: [...lines].sort((a, b) => a.seq - b.seq).map(({ stream: _stream, ...line }) => line),
  };
}
