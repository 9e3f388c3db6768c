import * as z from 'zod';

/**
 * Partner-supplied identifiers: printable, no whitespace at the ends, bounded so they fit DynamoDB keys,
 * EventBridge detail and Odoo's `ref` (a plain char field).
 */
export const PartnerId = z
  .string()
  .min(1)
  .max(64)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:\-/]*$/,
    'must start with a letter or digit and use only A-Z a-z 0-9 . _ : - /',
  )
  // One id rule everywhere (issue #15): an id becomes a key, an Odoo ref and a URL segment; `.`/`..`
  // segments, `//` and a trailing `/` would read as a path there.
  .refine(
    (id) => !/(^|\/)\.{1,2}(\/|$)|\/\/|\/$/.test(id),
    'must not contain . or .. segments, // or end in /',
  );

/** An ISO calendar date (YYYY-MM-DD) that exists. */
export const CalendarDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  .refine((value) => {
    const parsed = new Date(`${value}T00:00:00Z`);
    return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(value);
  }, 'must be a real calendar date')
  .meta({ example: '2026-11-02' });

/** Idempotency keys and correlation ids come from callers; keep them short and header-safe. */
export const IdempotencyKey = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

export const CorrelationId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:-]+$/, 'must use only A-Z a-z 0-9 . _ : -');
