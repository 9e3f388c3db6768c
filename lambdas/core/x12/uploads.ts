import { createHash } from 'node:crypto';
import * as z from 'zod';

/**
 * The large-file path for X12 835s (docs/x12.md#large-files): an upload record per (client, Idempotency-Key),
 * a presigned S3 PUT for `uploads/<clientId>/<uploadId>.835`, and the outcome the processor records.
 */
export const UPLOAD_KEY_PREFIX = 'uploads/';
export const UPLOAD_MEDIA_TYPE = 'application/edi-x12';
/** How long a presigned PUT URL is valid. */
export const UPLOAD_URL_TTL_SECONDS = 15 * 60;

/** Stable per (client, key): a retried POST names the same object. */
export function uploadIdFor(clientId: string, idempotencyKey: string): string {
  const digest = createHash('sha256').update(`${clientId}\n${idempotencyKey}`).digest('hex');
  return `upl_${digest.slice(0, 26)}`;
}

export const UploadId = z
  .string()
  .regex(/^upl_[0-9a-f]{26}$/, 'must be an upload id issued by POST /v1/remittance-uploads')
  .meta({ id: 'UploadId' });

export function uploadObjectKey(clientId: string, uploadId: string): string {
  return `${UPLOAD_KEY_PREFIX}${encodeURIComponent(clientId)}/${uploadId}.835`;
}

/** The upload an object key names, or undefined for a key the hub never issued. */
export function parseUploadObjectKey(key: string): { clientId: string; uploadId: string } | undefined {
  const match = /^uploads\/([^/]+)\/(upl_[0-9a-f]{26})\.835$/.exec(key);
  if (!match) return undefined;
  try {
    return { clientId: decodeURIComponent(match[1] as string), uploadId: match[2] as string };
  } catch {
    return undefined;
  }
}

export const UploadStatus = z.enum(['awaiting_upload', 'processing', 'accepted', 'rejected']);

const IssueSchema = z.object({
  path: z.string().meta({ description: '`segment:<n> <ID>` in the file (1-based, ISA = 1)' }),
  message: z.string(),
});

export const RemittanceUploadCreated = z
  .object({
    uploadId: UploadId,
    uploadUrl: z.string().meta({ description: 'Presigned S3 PUT URL; send the 835 as the raw body' }),
    method: z.literal('PUT'),
    headers: z.object({ 'Content-Type': z.literal(UPLOAD_MEDIA_TYPE) }),
    expiresAt: z.string().meta({ description: 'When uploadUrl stops working (ISO 8601)' }),
    statusUrl: z.string(),
    correlationId: z.string(),
  })
  .meta({ id: 'RemittanceUploadCreated' });
export type RemittanceUploadCreated = z.infer<typeof RemittanceUploadCreated>;

export const RemittanceUploadView = z
  .object({
    uploadId: UploadId,
    status: UploadStatus,
    correlationId: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    bytes: z.number().int().optional(),
    counts: z
      .object({
        claims: z.number().int(),
        events: z.number().int(),
        unmatched: z.number().int(),
        providerAdjustments: z.number().int(),
      })
      .optional()
      .meta({ description: 'When accepted: claim payments read, events accepted, claims kept as unmatched' }),
    problem: z
      .object({
        type: z.string(),
        title: z.string(),
        status: z.number().int(),
        detail: z.string(),
        errors: z.array(IssueSchema),
      })
      .optional()
      .meta({ description: 'When rejected: why, with segment positions (nothing was posted)' }),
  })
  .meta({ id: 'RemittanceUploadView' });
export type RemittanceUploadView = z.infer<typeof RemittanceUploadView>;
