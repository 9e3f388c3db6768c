import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsServiceError } from './errors.js';
import { LocalEventBus, type LocalEventBusOptions } from './event-bus.js';
import { LocalS3 } from './s3.js';
import { LocalSecrets } from './secrets.js';
import { LocalSqs } from './sqs.js';
import { LocalStepFunctions, type LocalStepFunctionsOptions } from './step-functions.js';

/**
 * One loopback HTTP server speaking the AWS JSON protocols of SQS (1.0, `AmazonSQS.*`), EventBridge (1.1,
 * `AWSEvents.*`), Secrets Manager (1.1, `secretsmanager.*`) and Step Functions (1.0, `AWSStepFunctions.*`),
 * dispatching on `X-Amz-Target`, and SNS `Publish` in the Query protocol (a form body without a target). The real SDK v3 clients reach it through `AWS_ENDPOINT_URL_SQS` /
 * `AWS_ENDPOINT_URL_EVENTBRIDGE` / `AWS_ENDPOINT_URL_SECRETS_MANAGER` / `AWS_ENDPOINT_URL_SFN` (see `localAwsEnv`).
 * Requests are not authenticated (SigV4 is not checked).
 */

export interface StartLocalAwsOptions {
  port?: number;
  host?: string;
  accountId?: string;
  region?: string;
  /** Where SQS queue state is persisted (JSON per queue). Omit for memory-only. */
  stateDir?: string;
  /** Where the S3 stand-in keeps objects (default: a new temporary directory). */
  s3Dir?: string;
  /** Injectable clock for SQS (retention, dedup window, visibility); default Date.now. */
  clock?: () => number;
  /** SQS: enforce the 60 s PurgeQueue cooldown (default true, as AWS). */
  enforcePurgeCooldown?: boolean;
  events?: Partial<Omit<LocalEventBusOptions, 'accountId' | 'region'>>;
  /** Sees every request the SDK clients send (the bench's cost meter, local/aws-meter.ts); never changes one. */
  observe?: (target: string, operation: string, input: Record<string, unknown>) => void;
  /** Step Functions stand-in options (e.g. `intervalScale: 0` for tests; default keeps real Retry/Wait times). */
  stepFunctions?: Partial<Omit<LocalStepFunctionsOptions, 'accountId' | 'region'>>;
}

export interface LocalAws {
  endpoint: string;
  sqs: LocalSqs;
  events: LocalEventBus;
  secrets: LocalSecrets;
  /** Path-style S3 stand-in (local/aws/s3.ts); requests without X-Amz-Target that name one of its buckets. */
  s3: LocalS3;
  /** Step Functions stand-in (local/aws/step-functions.ts); bind Task resources with `bindFunction`. */
  stepFunctions: LocalStepFunctions;
  /** Where SNS `Publish` calls go (the runtime binds the alert topics of local/sns.ts); unbound: NotFound. */
  bindSns(sink: SnsSink): void;
  /** Environment the hub's Lambda code needs so the unmodified SDK clients reach this server. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** The environment variables that point SDK v3 clients at the local endpoint (per-service endpoint vars). */
export function localAwsEnv(endpoint: string, region = 'us-east-1'): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_SQS: endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ENDPOINT_URL_SFN: endpoint,
    AWS_ENDPOINT_URL_SNS: endpoint,
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  };
}

const MAX_BODY_BYTES = 6 * 1024 * 1024;

/** Publishes to a topic by ARN and answers the message id; throws NotFound for an unknown topic. */
export type SnsSink = (topicArn: string, subject: string, message: string) => string;

const xmlEscape = (text: string): string =>
  text.replace(/[<>&'"]/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', "'": 'apos', '"': 'quot' }[c]};`);

/**
 * SNS `Publish` in the Query protocol, as the SDK's SNSClient sends it (the only SNS call the hub makes):
 * the 256 KB message limit and SNS's subject rule (printable ASCII, no line break, under 100) are enforced.
 */
function answerSnsQuery(
  form: URLSearchParams,
  requestId: string,
  sink: SnsSink | undefined,
): { status: number; xml: string } {
  const fail = (status: number, code: string, message: string) => ({
    status,
    xml: `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  });
  if (form.get('Action') !== 'Publish')
    return fail(400, 'InvalidAction', `SNS ${form.get('Action')} is not supported locally.`);
  const topicArn = form.get('TopicArn') ?? '';
  const message = form.get('Message') ?? '';
  const subject = form.get('Subject') ?? '';
  if (!message) return fail(400, 'InvalidParameter', 'Invalid parameter: Empty message');
  if (Buffer.byteLength(message) > 256 * 1024)
    return fail(400, 'InvalidParameter', 'Invalid parameter: Message too long');
  if (subject && !/^[\x20-\x7e]{1,99}$/.test(subject))
    return fail(400, 'InvalidParameter', 'Invalid parameter: Subject');
  if (!sink) return fail(404, 'NotFound', 'Topic does not exist');
  try {
    const messageId = sink(topicArn, subject, message);
    return {
      status: 200,
      xml: `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`,
    };
  } catch {
    return fail(404, 'NotFound', 'Topic does not exist');
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new AwsServiceError('RequestEntityTooLarge', 'Request body too large', { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startLocalAws(opts: StartLocalAwsOptions = {}): Promise<LocalAws> {
  const host = opts.host ?? '127.0.0.1';
  const accountId = opts.accountId ?? '000000000000';
  const region = opts.region ?? 'us-east-1';

  let sqs: LocalSqs | undefined;
  let events: LocalEventBus | undefined;
  const secrets = new LocalSecrets({ accountId, region });
  // Without a dir of the caller's, the objects live in a temp dir of this instance's, removed when it closes.
  const ownS3Dir = opts.s3Dir === undefined ? mkdtempSync(join(tmpdir(), 'rcm-local-s3-')) : undefined;
  const s3 = new LocalS3(opts.s3Dir ?? (ownS3Dir as string));
  const stepFunctions = new LocalStepFunctions({ ...opts.stepFunctions, accountId, region });

  let snsSink: SnsSink | undefined;
  const server = createServer((req, res) => {
    void dispatch(req, res);
  });
  server.keepAliveTimeout = 5_000;

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // S3 streams its bodies: dispatched before the JSON protocols read theirs whole.
    if (s3.handles(req)) {
      await s3.handle(req, res).catch((err: unknown) => {
        console.error('[local-aws] S3 stand-in error', err);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
      return;
    }
    const requestId = randomUUID();
    // SNS speaks the AWS Query protocol (form body, XML answer), not JSON: dispatched before the JSON ones.
    if (!req.headers['x-amz-target'] && /x-www-form-urlencoded/.test(String(req.headers['content-type']))) {
      const raw = await readBody(req).catch(() => '');
      const { status, xml } = answerSnsQuery(new URLSearchParams(raw), requestId, snsSink);
      res.writeHead(status, {
        'content-type': 'text/xml',
        'content-length': Buffer.byteLength(xml),
        'x-amzn-requestid': requestId,
      });
      res.end(xml);
      return;
    }
    const target = String(req.headers['x-amz-target'] ?? '');
    const dot = target.indexOf('.');
    const prefix = dot >= 0 ? target.slice(0, dot) : '';
    const operation = dot >= 0 ? target.slice(dot + 1) : '';
    const isSqs = prefix === 'AmazonSQS';
    const isSfn = prefix === 'AWSStepFunctions';
    const contentType = isSqs || isSfn ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const payload = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': contentType,
        'content-length': Buffer.byteLength(payload),
        'x-amzn-requestid': requestId,
        ...headers,
      });
      res.end(payload);
    };
    try {
      const raw = await readBody(req);
      if (req.method !== 'POST' || !target) {
        throw new AwsServiceError(
          'UnknownOperationException',
          'Only AWS JSON protocol requests (POST with X-Amz-Target) are supported locally.',
        );
      }
      let input: Record<string, unknown>;
      try {
        input = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        throw new AwsServiceError('SerializationException', 'Request body is not valid JSON.');
      }
      opts.observe?.(prefix, operation, input);
      let out: unknown;
      if (isSqs && sqs) out = await sqs.handle(operation, input);
      else if (prefix === 'AWSEvents' && events) out = await events.handle(operation, input);
      else if (prefix === 'secretsmanager') out = await secrets.handle(operation, input);
      else if (isSfn) out = await stepFunctions.handle(operation, input);
      else throw new AwsServiceError('UnknownOperationException', `Unknown target ${target}.`);
      send(200, out ?? {});
    } catch (err) {
      if (err instanceof AwsServiceError) {
        if (isSqs) {
          send(
            err.status,
            { __type: `com.amazonaws.sqs#${err.code}`, message: err.message },
            { 'x-amzn-query-error': `${err.queryCode ?? err.code};${err.fault}` },
          );
        } else {
          send(err.status, { __type: err.code, message: err.message, Message: err.message });
        }
        return;
      }
      console.error('[local-aws] internal error handling', target, err);
      send(500, { __type: 'InternalFailure', message: err instanceof Error ? err.message : String(err) });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  sqs = new LocalSqs({
    endpoint,
    accountId,
    region,
    ...(opts.stateDir !== undefined ? { stateDir: opts.stateDir } : {}),
    ...(opts.clock !== undefined ? { clock: opts.clock } : {}),
    ...(opts.enforcePurgeCooldown !== undefined ? { enforcePurgeCooldown: opts.enforcePurgeCooldown } : {}),
  });
  await sqs.load();
  events = new LocalEventBus({ accountId, region, ...opts.events });
  const sqsRef = sqs;
  const eventsRef = events;

  let closing: Promise<void> | undefined;
  return {
    endpoint,
    sqs: sqsRef,
    events: eventsRef,
    secrets,
    s3,
    stepFunctions,
    env: localAwsEnv(endpoint, region),
    bindSns(sink) {
      snsSink = sink;
    },
    close() {
      closing ??= (async () => {
        eventsRef.close();
        stepFunctions.close(); // aborts running executions
        await sqsRef.close(); // wakes long polls and flushes state
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          setTimeout(() => server.closeAllConnections(), 200).unref();
        });
        if (ownS3Dir) rmSync(ownS3Dir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
