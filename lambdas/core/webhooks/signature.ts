import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures, inbound and outbound alike (docs/webhooks.md):
 *
 *   Rcm-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + raw body)>[,v1=<…>]
 *
 * The timestamp is inside the signed text, so a captured request cannot be replayed with a fresh `t`; the
 * tolerance window bounds how long a captured request stays usable. A sender that rotates its secret may send
 * one `v1` per active secret; the receiver accepts the request when any `v1` matches any of its active
 * secrets (two per source), so a rotation never drops a delivery.
 */
export const SIGNATURE_HEADER = 'Rcm-Signature';
export const DELIVERY_ID_HEADER = 'Rcm-Delivery-Id';
export const EVENT_TYPE_HEADER = 'Rcm-Event-Type';
export const SIGNATURE_SCHEME = 'v1';
/** Five minutes either way: long enough for clock skew and a sender's queue, short enough to bound replays. */
export const DEFAULT_TOLERANCE_SECONDS = 300;
/** A header longer than this is not ours (bounds the work an attacker can cause before any HMAC). */
const MAX_HEADER_LENGTH = 1024;
const MAX_SIGNATURES = 4;

export function computeSignature(secret: string, timestamp: number, rawBody: string | Buffer): string {
  return createHmac('sha256', secret)
    .update(`${timestamp}.`)
    .update(typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody)
    .digest('hex');
}

/** The header value a sender puts on a request: one `v1` per secret given (the newest first). */
export function signatureHeader(
  secrets: readonly string[],
  timestamp: number,
  rawBody: string | Buffer,
): string {
  return [
    `t=${timestamp}`,
    ...secrets.map((s) => `${SIGNATURE_SCHEME}=${computeSignature(s, timestamp, rawBody)}`),
  ].join(',');
}

export interface ParsedSignature {
  timestamp: number;
  signatures: string[];
}

/** Parses `t=…,v1=…`; unknown schemes are ignored (forward compatible), a missing `t` or `v1` is malformed. */
export function parseSignatureHeader(value: string | undefined): ParsedSignature | undefined {
  if (value === undefined || value.length === 0 || value.length > MAX_HEADER_LENGTH) return undefined;
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    const key = part.slice(0, eq).trim();
    const val = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d{1,12}$/.test(val) || timestamp !== undefined) return undefined;
      timestamp = Number(val);
    } else if (key === SIGNATURE_SCHEME) {
      if (!/^[0-9a-f]{64}$/i.test(val)) return undefined;
      signatures.push(val.toLowerCase());
    }
  }
  if (timestamp === undefined || signatures.length === 0 || signatures.length > MAX_SIGNATURES)
    return undefined;
  return { timestamp, signatures };
}

export type Verification =
  | { ok: true; timestamp: number; secretIndex: number }
  | { ok: false; reason: 'malformed' | 'stale' | 'mismatch' | 'no-secret' };

export interface VerifyInput {
  header: string | undefined;
  rawBody: string | Buffer;
  /** The source's active secrets (current and previous, during a rotation). */
  secrets: readonly string[];
  nowSeconds: number;
  toleranceSeconds?: number;
}

/**
 * Checks a signature: well-formed header, timestamp within the tolerance window (either direction: a clock
 * ahead of ours is as suspicious as a replay), then a constant-time comparison of every `v1` against the
 * signature under every active secret. Every comparison runs, so the time taken does not depend on which
 * secret or signature matched.
 */
export function verifySignature(input: VerifyInput): Verification {
  const active = input.secrets.filter((s) => s.length > 0);
  if (active.length === 0) return { ok: false, reason: 'no-secret' };
  const parsed = parseSignatureHeader(input.header);
  if (!parsed) return { ok: false, reason: 'malformed' };
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(input.nowSeconds - parsed.timestamp) > tolerance) return { ok: false, reason: 'stale' };
  let matched = -1;
  active.forEach((secret, index) => {
    const expected = Buffer.from(computeSignature(secret, parsed.timestamp, input.rawBody), 'hex');
    for (const candidate of parsed.signatures) {
      const given = Buffer.from(candidate, 'hex');
      if (given.length === expected.length && timingSafeEqual(given, expected) && matched < 0)
        matched = index;
    }
  });
  return matched >= 0
    ? { ok: true, timestamp: parsed.timestamp, secretIndex: matched }
    : { ok: false, reason: 'mismatch' };
}

/** Constant-time equality of two strings (URL tokens): lengths may leak, contents do not. */
export function safeEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Whether `given` equals any active token; every token is compared (no early exit). */
export function matchesAnyToken(tokens: readonly string[], given: string | undefined): boolean {
  if (given === undefined || given.length === 0 || given.length > 256) return false;
  let ok = false;
  for (const token of tokens) if (token.length > 0 && safeEqual(token, given)) ok = true;
  return ok;
}
