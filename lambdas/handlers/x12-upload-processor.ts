import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { S3Event } from 'aws-lambda';
import { WorkflowStore } from '../adapters/dynamodb/workflow-store.js';
import { requiredEnv } from '../adapters/environment.js';
import { EventPublisher } from '../adapters/eventbridge/event-publisher.js';
import { RequestRejected } from '../adapters/http/api-request.js';
import { PROBLEM_BASE, ProblemType } from '../adapters/http/problem.js';
import { createLogger } from '../adapters/observability.js';
import { notEntitled, partnerDirectory } from '../adapters/partners/registry.js';
import { UploadsBucket, uploadsS3Client } from '../adapters/s3/uploads-bucket.js';
import { acceptRemittanceUpload } from '../adapters/x12/upload.js';
import type { X12Issue } from '../core/x12/envelope.js';
import { segmentPath, X12Error } from '../core/x12/tokenizer.js';
import { parseUploadObjectKey } from '../core/x12/uploads.js';
import { env } from '../env.js';
import { acceptEvents } from './intake/accept-events.js';
import { checkWrites, entitleWrites } from './intake/entitlement.js';

/**
 * S3 ObjectCreated (uploads/<clientId>/<uploadId>.835) → stream the object twice through
 * `acceptRemittanceUpload` (validate in constant memory, then accept in batches) and record the outcome on
 * the upload record. Every event is attributed to the upload's client and correlation id, under the
 * idempotency key `upload:<uploadId>`. An object without an upload record (or under another client's prefix)
 * is ignored; a finished upload is not processed again (S3 may deliver a notification twice).
 */
const logger = createLogger('x12-upload-processor');
const store = new WorkflowStore(new DynamoDBClient({}), requiredEnv(env.workflowTable));
const publisher = new EventPublisher(new EventBridgeClient({}), requiredEnv(env.eventBus));
const bucket = new UploadsBucket(uploadsS3Client(), requiredEnv(env.remittanceUploadsBucket));

const MAX_REPORTED_ISSUES = 100;

export const handler = async (event: S3Event): Promise<void> => {
  for (const record of event.Records ?? []) {
    // S3 event keys are URL-encoded, spaces as '+'.
    const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
    if (record.s3.bucket.name !== bucket.bucketName) continue;
    await processObject(key);
  }
};

async function processObject(key: string): Promise<void> {
  const named = parseUploadObjectKey(key);
  const upload = named ? await store.getUpload(named.uploadId) : undefined;
  if (!named || !upload || upload.clientId !== named.clientId || upload.key !== key) {
    logger.warn('object without an upload record ignored', { key });
    return;
  }
  const started = await store.startUpload(upload.uploadId, new Date().toISOString());
  if (!started) {
    logger.info('upload already finished', { uploadId: upload.uploadId });
    return;
  }
  logger.appendKeys({ correlationId: upload.correlationId, uploadId: upload.uploadId });
  // Events of this file recorded so far: what a refusal in the accepting pass leaves behind.
  let acceptedBeforeRefusal = 0;
  try {
    // The uploader's registry binding applies as on POST /v1/remittances (docs/security.md#ownership): all or
    // nothing — every batch is checked in the validation pass, before any is accepted; one claim the uploader
    // may not act for rejects the whole file (403) and nothing of it is recorded.
    const principal = partnerDirectory().principal(upload.clientId);
    if (!principal) throw notEntitled('This client is not in the partner registry (or was revoked).');
    const outcome = await acceptRemittanceUpload(
      bucket.open(key),
      {
        store,
        accept: async (events) => {
          const recorded = await acceptEvents(
            { store, publisher },
            {
              clientId: upload.clientId,
              idempotencyKey: `upload:${upload.uploadId}`,
              correlationId: upload.correlationId,
              events: await entitleWrites(store, principal, events),
            },
          );
          acceptedBeforeRefusal += recorded.length;
          return recorded;
        },
        clientId: upload.clientId,
        idempotencyKey: `upload:${upload.uploadId}`,
        correlationId: upload.correlationId,
        now: () => new Date().toISOString(),
      },
      {
        check: async (events) => {
          await checkWrites(store, principal, events);
        },
      },
    ).catch((error: unknown) => {
      if (!(error instanceof X12Error)) throw error;
      // A syntax fault stops the reader in pass 1, before anything is accepted.
      return {
        status: 'refused' as const,
        bytes: error.position?.offset ?? 0,
        claims: 0,
        issues: [
          {
            path: segmentPath(error.position),
            message: `${error.message}${error.position ? ` (byte ${error.position.offset})` : ''}`,
          },
        ] as X12Issue[],
        accepted: 0,
        unmatched: [],
        providerAdjustments: 0,
      };
    });
    const now = new Date().toISOString();
    if (outcome.status === 'refused') {
      const errors = outcome.issues
        .slice(0, MAX_REPORTED_ISSUES)
        .map(({ path, message }) => ({ path, message }));
      await store.finishUpload(upload.uploadId, {
        status: 'rejected',
        bytes: outcome.bytes,
        updatedAt: now,
        problem: {
          type: `${PROBLEM_BASE}${ProblemType.validation}`,
          title: 'X12 document refused',
          status: 400,
          detail: `The X12 document cannot be accepted: ${outcome.issues.length} issue${outcome.issues.length === 1 ? '' : 's'}. Nothing was posted.`,
          errors,
        },
      });
      logger.info('upload rejected', { issues: outcome.issues.length });
      return;
    }
    await store.finishUpload(upload.uploadId, {
      status: 'accepted',
      bytes: outcome.bytes,
      updatedAt: now,
      counts: {
        claims: outcome.claims,
        events: outcome.accepted,
        unmatched: outcome.unmatched.length,
        providerAdjustments: outcome.providerAdjustments,
      },
    });
    logger.info('upload accepted', { claims: outcome.claims, accepted: outcome.accepted });
  } catch (error) {
    if (!(error instanceof RequestRejected)) throw error;
    await store.finishUpload(upload.uploadId, {
      status: 'rejected',
      bytes: 0,
      updatedAt: new Date().toISOString(),
      problem: {
        type: `${PROBLEM_BASE}${ProblemType.notEntitled}`,
        title: error.problem.title,
        status: 403,
        // The whole file is checked before any batch is accepted, so a refusal normally leaves nothing recorded.
        // Only an encounter claimed by another facility while the file was being accepted refuses a later batch:
        // then what was accepted before stays, and the answer says how much (docs/security.md#ownership).
        detail:
          acceptedBeforeRefusal === 0
            ? `${error.problem.detail} Nothing of this file was accepted.`
            : `${error.problem.detail} ${acceptedBeforeRefusal} events of this file accepted before the refusal stay accepted (ownership changed while it was processed).`,
        errors: [],
      },
    });
    logger.info('upload refused: not entitled');
  } finally {
    logger.removeKeys(['correlationId', 'uploadId']);
  }
}
