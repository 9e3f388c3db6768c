import { createHash } from 'node:crypto';
import { type IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { read277 } from '../../core/x12/claim-status-277.js';
import type { X12Issue } from '../../core/x12/envelope.js';
import { read835 } from '../../core/x12/remittance-835.js';
import { segmentPath, X12Error } from '../../core/x12/tokenizer.js';
import type { WorkflowStore } from '../dynamodb/workflow-store.js';
import {
  callerClientId,
  header,
  idempotencyKeyOf,
  jsonResponse,
  MAX_BODY_BYTES,
  RequestRejected,
} from '../http/api-request.js';
import { ProblemType, problem } from '../http/problem.js';
import {
  type AcceptFn,
  acceptClaimStatusDocument,
  acceptRemittanceDocument,
  type X12Event,
} from './documents.js';

/**
 * `Content-Type: application/edi-x12` on the write routes that have an X12 form: an 835 on
 * POST /v1/remittances, a 277/277CA on POST /v1/claim-statuses. Same contract as the JSON form —
 * Idempotency-Key, X-Correlation-Id, 202 or problem+json — and the same Powertools idempotency record
 * (key = client + route + Idempotency-Key; the body's SHA-256 is the payload that must not change).
 *
 * Reading and balancing are pure and happen before anything is stored: a document with any envelope,
 * syntax or balancing issue is refused whole with `errors[].path` = `segment:<n> <ID>`, and nothing is
 * posted. Placing claims on encounters reads the store, so it happens inside the idempotent step and a
 * retry answers what the first request answered.
 */
export const X12_MEDIA_TYPE = /^application\/edi-x12\b/i;

export function isX12Request(event: APIGatewayProxyEvent): boolean {
  return X12_MEDIA_TYPE.test(header(event, 'Content-Type') ?? '');
}

/** At most this many issues are answered; a broken file repeats the same fault thousands of times. */
const MAX_REPORTED_ISSUES = 100;

export interface X12IntakeOptions {
  store: WorkflowStore;
  acceptEvents: (command: {
    clientId: string;
    idempotencyKey: string;
    correlationId: string;
    events: X12Event[];
  }) => Promise<Array<{ id: string }>>;
  persistenceStore: BasePersistenceLayer;
  config: IdempotencyConfig;
}

type Read =
  | { kind: '835'; read: Awaited<ReturnType<typeof read835>> }
  | { kind: '277'; read: Awaited<ReturnType<typeof read277>> };

interface X12Command {
  clientId: string;
  intake: string;
  idempotencyKey: string;
  correlationId: string;
  request: { contentType: string; sha256: string; bytes: number };
  pathParameters: Record<string, string>;
  document: Read;
}

export function createX12Intake(options: X12IntakeOptions) {
  const accept = makeIdempotent(
    async (command: X12Command) => {
      const acceptFn: AcceptFn = (events) =>
        options.acceptEvents({
          clientId: command.clientId,
          idempotencyKey: command.idempotencyKey,
          correlationId: command.correlationId,
          events,
        });
      const context = {
        store: options.store,
        accept: acceptFn,
        clientId: command.clientId,
        idempotencyKey: command.idempotencyKey,
        correlationId: command.correlationId,
        now: () => new Date().toISOString(),
      };
      const answer =
        command.document.kind === '835'
          ? await acceptRemittanceDocument(command.document.read, context)
          : await acceptClaimStatusDocument(command.document.read, context);
      return {
        correlationId: command.correlationId,
        status: 'accepted' as const,
        format: `x12:${command.document.kind}`,
        ...answer,
      };
    },
    { persistenceStore: options.persistenceStore, config: options.config },
  );

  return async function handleX12(
    event: APIGatewayProxyEvent,
    intake: string,
    correlationId: string,
  ): Promise<APIGatewayProxyResult> {
    if (intake !== 'submitRemittance' && intake !== 'submitClaimStatus') {
      throw new RequestRejected(
        problem(
          ProblemType.unsupportedMediaType,
          415,
          'Unsupported media type',
          'application/edi-x12 is accepted on POST /v1/remittances (835) and POST /v1/claim-statuses (277/277CA) only.',
        ),
      );
    }
    const clientId = callerClientId(event);
    const idempotencyKey = idempotencyKeyOf(event);
    const body =
      event.isBase64Encoded && event.body
        ? Buffer.from(event.body, 'base64')
        : Buffer.from(event.body ?? '', 'utf8');
    if (body.byteLength > MAX_BODY_BYTES) {
      throw new RequestRejected(
        problem(
          ProblemType.payloadTooLarge,
          413,
          'Payload too large',
          `The body is ${body.byteLength} bytes; the limit is ${MAX_BODY_BYTES}. Send larger X12 files through POST /v1/remittance-uploads (docs/x12.md#large-files).`,
        ),
      );
    }
    // A NUL (or other control byte but the segment terminators' CR/LF) is never X12 data, and Odoo's
    // PostgreSQL cannot store it: refused before the tokenizer sees the file (issue #15).
    const control = body.findIndex((byte) => byte < 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09);
    if (control >= 0 || body.includes(0x7f)) {
      throw new RequestRejected(
        problem(
          ProblemType.validation,
          400,
          'Validation failed',
          'The X12 file carries a control character.',
          {
            errors: [
              { path: `byte:${control >= 0 ? control : body.indexOf(0x7f)}`, message: 'control character' },
            ],
          },
        ),
      );
    }
    const document = await readDocument(intake === 'submitRemittance' ? '835' : '277', body);
    const answer = await accept({
      clientId,
      intake,
      idempotencyKey,
      correlationId,
      request: {
        contentType: 'application/edi-x12',
        sha256: createHash('sha256').update(body).digest('hex'),
        bytes: body.byteLength,
      },
      pathParameters: {},
      document,
    });
    const first = 'accepted' in answer ? answer.accepted[0]?.encounterId : undefined;
    return jsonResponse(202, answer, {
      'X-Correlation-Id': correlationId,
      ...(first ? { Location: `/v1/workflows/${encodeURIComponent(first)}` } : {}),
    });
  };
}

/** Reads and checks a whole X12 body; any issue refuses it with the segment positions. */
export async function readDocument(kind: '835' | '277', body: Buffer | AsyncIterable<Buffer>): Promise<Read> {
  const chunks = Buffer.isBuffer(body) ? [body] : body;
  try {
    const document: Read =
      kind === '835' ? { kind, read: await read835(chunks) } : { kind, read: await read277(chunks) };
    if (document.read.issues.length > 0) throw refusal(document.read.issues);
    return document;
  } catch (error) {
    if (error instanceof X12Error) {
      throw refusal(
        [
          {
            path: segmentPath(error.position),
            message: `${error.message}${error.position ? ` (byte ${error.position.offset})` : ''}`,
          },
        ],
        error.code,
      );
    }
    throw error;
  }
}

function refusal(issues: X12Issue[], code = 'x12.invalid'): RequestRejected {
  const shown = issues.slice(0, MAX_REPORTED_ISSUES).map(({ path, message }) => ({ path, message }));
  return new RequestRejected(
    problem(
      ProblemType.validation,
      400,
      code === 'x12.unsupported-version' ? 'Unsupported X12 version' : 'X12 document refused',
      `The X12 document cannot be accepted: ${issues.length} issue${issues.length === 1 ? '' : 's'}${issues.length > shown.length ? ` (first ${shown.length} shown)` : ''}. Nothing was posted.`,
      { errors: shown, code },
    ),
  );
}
