import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  nextRetry,
  parseRetryPolicy,
  retryDelaySeconds,
} from '../../lambdas/core/webhooks/retry.js';
import {
  computeSignature,
  matchesAnyToken,
  parseSignatureHeader,
  signatureHeader,
  verifySignature,
} from '../../lambdas/core/webhooks/signature.js';

/** Issue #5: inbound and outbound webhooks are signed with HMAC-SHA256 over `timestamp + "." + raw body`. */
const SECRET = 'whsec_test_current_secret_0001';
const PREVIOUS = 'whsec_test_previous_secret_001';
const BODY = '{"id":"evt_1","type":"claim.status"}';
const T = 1_764_500_000;

describe('webhook signatures', () => {
  it('match a vector computed independently (HMAC-SHA256 of "t.body", hex)', () => {
    // Prepare
    const expected = createHmac('sha256', SECRET).update(`${T}.${BODY}`).digest('hex');

    // Act
    const signature = computeSignature(SECRET, T, BODY);

    // Assess
    expect(signature).toBe(expected);
    expect(signatureHeader([SECRET], T, BODY)).toBe(`t=${T},v1=${expected}`);
  });

  it('match a fixed vector, so senders in other languages can check their implementation', () => {
    // Prepare / Act
    const signature = computeSignature('secret', 1700000000, '{"a":1}');

    // Assess
    expect(signature).toBe(createHmac('sha256', 'secret').update('1700000000.{"a":1}').digest('hex'));
    expect(signature).toMatch(/^[0-9a-f]{64}$/);
  });

  it('verify within the tolerance window, on either side of our clock', () => {
    // Prepare
    const header = signatureHeader([SECRET], T, BODY);

    // Act
    const early = verifySignature({ header, rawBody: BODY, secrets: [SECRET], nowSeconds: T - 300 });
    const late = verifySignature({ header, rawBody: BODY, secrets: [SECRET], nowSeconds: T + 300 });

    // Assess
    expect(early.ok).toBe(true);
    expect(late.ok).toBe(true);
  });

  it('refuse a timestamp outside the tolerance window as stale (replay protection)', () => {
    // Prepare
    const header = signatureHeader([SECRET], T, BODY);

    // Act
    const replayed = verifySignature({ header, rawBody: BODY, secrets: [SECRET], nowSeconds: T + 301 });
    const future = verifySignature({ header, rawBody: BODY, secrets: [SECRET], nowSeconds: T - 301 });
    const tight = verifySignature({
      header,
      rawBody: BODY,
      secrets: [SECRET],
      nowSeconds: T + 11,
      toleranceSeconds: 10,
    });

    // Assess
    expect(replayed).toEqual({ ok: false, reason: 'stale' });
    expect(future).toEqual({ ok: false, reason: 'stale' });
    expect(tight).toEqual({ ok: false, reason: 'stale' });
  });

  it('refuse a re-dated request: the timestamp is part of what is signed', () => {
    // Prepare
    const original = signatureHeader([SECRET], T, BODY);
    const redated = original.replace(`t=${T}`, `t=${T + 1000}`);

    // Act
    const verdict = verifySignature({
      header: redated,
      rawBody: BODY,
      secrets: [SECRET],
      nowSeconds: T + 1000,
    });

    // Assess
    expect(verdict).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuse a body changed by one byte, and a wrong secret', () => {
    // Prepare
    const header = signatureHeader([SECRET], T, BODY);

    // Act
    const tampered = verifySignature({ header, rawBody: `${BODY} `, secrets: [SECRET], nowSeconds: T });
    const wrong = verifySignature({
      header,
      rawBody: BODY,
      secrets: ['whsec_someone_else_000001'],
      nowSeconds: T,
    });

    // Assess
    expect(tampered).toEqual({ ok: false, reason: 'mismatch' });
    expect(wrong).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('accept either of two active secrets during a rotation, and a sender signing with both', () => {
    // Prepare
    const oldSender = signatureHeader([PREVIOUS], T, BODY);
    const newSender = signatureHeader([SECRET], T, BODY);
    const bothSender = signatureHeader([SECRET, PREVIOUS], T, BODY);
    const secrets = [SECRET, PREVIOUS];

    // Act
    const verdicts = [oldSender, newSender, bothSender].map((header) =>
      verifySignature({ header, rawBody: BODY, secrets, nowSeconds: T }),
    );
    const afterRotation = verifySignature({
      header: oldSender,
      rawBody: BODY,
      secrets: [SECRET],
      nowSeconds: T,
    });

    // Assess
    expect(verdicts).toEqual([
      { ok: true, timestamp: T, secretIndex: 1 },
      { ok: true, timestamp: T, secretIndex: 0 },
      { ok: true, timestamp: T, secretIndex: 0 },
    ]);
    expect(afterRotation).toEqual({ ok: false, reason: 'mismatch' });
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['no timestamp', `v1=${'a'.repeat(64)}`],
    ['no signature', `t=${T}`],
    ['short signature', `t=${T},v1=abcd`],
    ['non-numeric timestamp', `t=abc,v1=${'a'.repeat(64)}`],
    ['two timestamps', `t=${T},t=${T},v1=${'a'.repeat(64)}`],
    ['garbage', 'Bearer abc'],
  ])('refuse a %s header as malformed', (_name, header) => {
    // Prepare / Act
    const verdict = verifySignature({ header, rawBody: BODY, secrets: [SECRET], nowSeconds: T });

    // Assess
    expect(verdict).toEqual({ ok: false, reason: 'malformed' });
  });

  it('ignore unknown schemes next to v1 (forward compatible)', () => {
    // Prepare
    const header = `${signatureHeader([SECRET], T, BODY)},v0=legacy`;

    // Act
    const parsed = parseSignatureHeader(header);

    // Assess
    expect(parsed?.signatures).toHaveLength(1);
  });

  it('never verify without a configured secret', () => {
    // Prepare / Act
    const verdict = verifySignature({
      header: signatureHeader([''], T, BODY),
      rawBody: BODY,
      secrets: [''],
      nowSeconds: T,
    });

    // Assess
    expect(verdict).toEqual({ ok: false, reason: 'no-secret' });
  });

  it('round-trip for any body, secret and time (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 16, maxLength: 64 }),
        fc.uint8Array({ maxLength: 512 }),
        fc.integer({ min: 1, max: 4_000_000_000 }),
        (secret, bytes, t) => {
          const body = Buffer.from(bytes);
          const header = signatureHeader([secret], t, body);
          return verifySignature({ header, rawBody: body, secrets: [secret], nowSeconds: t }).ok;
        },
      ),
    );
  });

  it('compare Odoo URL tokens against every active token', () => {
    // Prepare
    const tokens = ['token-current-000000001', 'token-previous-00000001'];

    // Act / Assess
    expect(matchesAnyToken(tokens, 'token-previous-00000001')).toBe(true);
    expect(matchesAnyToken(tokens, 'token-current-000000001')).toBe(true);
    expect(matchesAnyToken(tokens, 'token-current-000000002')).toBe(false);
    expect(matchesAnyToken(tokens, undefined)).toBe(false);
    expect(matchesAnyToken([''], '')).toBe(false);
  });
});

describe('outbound retry schedule', () => {
  it('backs off exponentially with jitter between half and all of the capped delay', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (attempt, r) => {
          const delay = retryDelaySeconds(attempt, DEFAULT_RETRY_POLICY, () => r);
          const ceiling = Math.min(DEFAULT_RETRY_POLICY.capSeconds, 30 * 2 ** Math.min(attempt - 1, 30));
          return delay >= Math.ceil(ceiling / 2) && delay <= ceiling;
        },
      ),
    );
  });

  it('grows: first retry within a minute, later ones capped at two hours', () => {
    // Prepare
    const max = () => 0.999999;

    // Act
    const delays = [1, 2, 3, 10, 20].map((a) => retryDelaySeconds(a, DEFAULT_RETRY_POLICY, max));

    // Assess
    expect(delays).toEqual([30, 60, 120, 7200, 7200]);
  });

  it('gives up once the next retry would pass 24 h after the first attempt', () => {
    // Prepare
    const first = Date.parse('2026-11-30T00:00:00Z');

    // Act
    const early = nextRetry(3, first, first + 3600_000, DEFAULT_RETRY_POLICY, () => 0);
    const late = nextRetry(20, first, first + 23.5 * 3600_000, DEFAULT_RETRY_POLICY, () => 0);

    // Assess
    expect(early).toEqual({ retry: true, delaySeconds: 60 });
    expect(late.retry).toBe(false);
  });

  it('covers about 24 h in a bounded number of attempts', () => {
    // Prepare
    let elapsed = 0;
    let attempts = 1;

    // Act
    for (;;) {
      const decision = nextRetry(attempts, 0, elapsed * 1000, DEFAULT_RETRY_POLICY, () => 0.5);
      if (!decision.retry) break;
      elapsed += decision.delaySeconds;
      attempts += 1;
    }

    // Assess
    expect(elapsed).toBeGreaterThan(20 * 3600);
    expect(elapsed).toBeLessThanOrEqual(24 * 3600);
    expect(attempts).toBeLessThan(40);
  });

  it('reads a shortened policy from the environment and falls back on nonsense', () => {
    // Prepare / Act / Assess
    expect(parseRetryPolicy('{"baseSeconds":1,"capSeconds":2,"budgetSeconds":30}')).toEqual({
      baseSeconds: 1,
      capSeconds: 2,
      budgetSeconds: 30,
    });
    expect(parseRetryPolicy('nope')).toEqual(DEFAULT_RETRY_POLICY);
    expect(parseRetryPolicy('{"baseSeconds":-1}')).toEqual(DEFAULT_RETRY_POLICY);
  });
});
