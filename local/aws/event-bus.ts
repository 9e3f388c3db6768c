import { randomUUID } from 'node:crypto';
import type { EventBridgeEvent } from 'aws-lambda';
import { AwsServiceError } from './errors.js';
import {
  type EventPattern,
  InvalidEventPatternError,
  matchesEventPattern,
  validateEventPattern,
} from './event-pattern.js';
import type { LocalSqs } from './sqs.js';

/** Local EventBridge: PutEvents over the wire (`AWSEvents.PutEvents`, JSON 1.1) + in-process rules/targets. */

export type BusEvent = EventBridgeEvent<string, unknown>;

export interface RetryPolicy {
  /** Retries after the first attempt (0-185). */
  maximumRetryAttempts: number;
  /** Give up once the event is older than this (60-86400 s); measured in compressed local time, see `timeScale`. */
  maximumEventAgeSeconds: number;
}

export interface RuleOptions {
  name: string;
  eventBusName?: string;
  pattern: EventPattern;
  target: (event: BusEvent) => Promise<void>;
  retry?: Partial<RetryPolicy>;
  onDeadLetter?: (event: BusEvent, error: unknown) => void;
}

export interface LocalEventBusOptions {
  accountId: string;
  region: string;
  /**
   * Local time compression for retries: a retry delay / event age of N seconds in AWS terms takes N*1000/timeScale
   * ms locally. Default 1000 (1 s -> 1 ms). Backoff starts at `retryBaseDelayMs` and doubles, capped at
   * `retryMaxDelayMs` (both already local milliseconds).
   */
  timeScale?: number;
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /** Maximum archived events kept in memory (oldest dropped). Default 10 000. */
  archiveLimit?: number;
  /** Called when a delivery gives up and the rule has no `onDeadLetter`. Default: console.error. */
  logger?: (message: string, extra?: unknown) => void;
}

export interface ArchivedEvent {
  eventBusName: string;
  event: BusEvent;
  receivedAt: number;
  matchedRules: string[];
}

export interface DeadLetteredEvent {
  ruleName: string;
  eventBusName: string;
  event: BusEvent;
  error: unknown;
  attempts: number;
}

interface Rule {
  name: string;
  eventBusName: string;
  pattern: EventPattern;
  target: (event: BusEvent) => Promise<void>;
  retry: RetryPolicy;
  onDeadLetter: ((event: BusEvent, error: unknown) => void) | undefined;
}

/**
 * Defaults for a rule whose target is a Lambda function: EventBridge invokes Lambda asynchronously, so function
 * errors are retried by Lambda's async invocation (2 retries, 6 h max event age) — not by the rule's 185/24 h.
 */
export const DEFAULT_RETRY: RetryPolicy = { maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600 };

const ENTRY_LIMIT_BYTES = 256 * 1024;

export class LocalEventBus {
  private readonly accountId: string;
  private readonly region: string;
  private readonly timeScale: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly archiveLimit: number;
  private readonly log: (message: string, extra?: unknown) => void;
  private readonly buses = new Set<string>(['default']);
  private readonly rules = new Map<string, Rule>();
  private readonly archive: ArchivedEvent[] = [];
  readonly deadLetters: DeadLetteredEvent[] = [];
  private pending = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(opts: LocalEventBusOptions) {
    this.accountId = opts.accountId;
    this.region = opts.region;
    this.timeScale = opts.timeScale ?? 1000;
    this.baseDelayMs = opts.retryBaseDelayMs ?? 20;
    this.maxDelayMs = opts.retryMaxDelayMs ?? 1000;
    this.archiveLimit = opts.archiveLimit ?? 10_000;
    this.log = opts.logger ?? ((m, e) => console.error(m, e));
  }

  busArn(name: string): string {
    return `arn:aws:events:${this.region}:${this.accountId}:event-bus/${name}`;
  }

  createEventBus(name: string): string {
    this.buses.add(name);
    return this.busArn(name);
  }

  /** Adds (or replaces) a rule. The pattern is validated as EventBridge would (throws InvalidEventPatternError). */
  addRule(opts: RuleOptions): void {
    validateEventPattern(opts.pattern);
    const eventBusName = this.busName(opts.eventBusName ?? 'default');
    this.buses.add(eventBusName);
    const retry: RetryPolicy = { ...DEFAULT_RETRY, ...opts.retry };
    if (retry.maximumRetryAttempts < 0 || retry.maximumRetryAttempts > 185) {
      throw new Error('maximumRetryAttempts must be between 0 and 185');
    }
    if (retry.maximumEventAgeSeconds < 60 || retry.maximumEventAgeSeconds > 86_400) {
      throw new Error('maximumEventAgeSeconds must be between 60 and 86400');
    }
    this.rules.set(`${eventBusName}/${opts.name}`, {
      name: opts.name,
      eventBusName,
      pattern: opts.pattern,
      target: opts.target,
      retry,
      onDeadLetter: opts.onDeadLetter,
    });
  }

  removeRule(name: string, eventBusName = 'default'): boolean {
    return this.rules.delete(`${this.busName(eventBusName)}/${name}`);
  }

  /** Archived events (all events accepted by PutEvents, in order), optionally for one bus. */
  listArchivedEvents(eventBusName?: string): ArchivedEvent[] {
    const bus = eventBusName === undefined ? undefined : this.busName(eventBusName);
    return this.archive.filter((a) => bus === undefined || a.eventBusName === bus);
  }

  /** Re-delivers archived events (to the rules matching now), like an EventBridge replay (adds `replay-name`). */
  replay(replayName: string, filter: (a: ArchivedEvent) => boolean = () => true): number {
    const selected = this.archive.filter(filter);
    for (const a of selected) this.route(a.eventBusName, { ...a.event, 'replay-name': replayName }, false);
    return selected.length;
  }

  /** Resolves when no delivery (first attempt or scheduled retry) is pending. */
  waitForIdle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get pendingDeliveries(): number {
    return this.pending;
  }

  /** In-process PutEvents with the same validation and result shape as the wire operation. */
  putEvents(entries: PutEventsEntry[]): PutEventsResult {
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > 10) {
      throw new AwsServiceError(
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10 and greater than or equal to 1`,
      );
    }
    let total = 0;
    for (const e of entries) total += entrySize(e);
    if (total > ENTRY_LIMIT_BYTES) {
      throw new AwsServiceError(
        'ValidationException',
        'Total size of the entries in the request is over the limit.',
      );
    }
    const results: PutEventsResult['Entries'] = [];
    let failed = 0;
    for (const e of entries) {
      const r = this.acceptEntry(e);
      if ('ErrorCode' in r) failed++;
      results.push(r);
    }
    return { FailedEntryCount: failed, Entries: results };
  }

  async handle(operation: string, input: Record<string, unknown>): Promise<unknown> {
    switch (operation) {
      case 'PutEvents':
        if (input.EndpointId !== undefined) {
          throw new AwsServiceError('ValidationException', 'Global endpoints are not supported locally.');
        }
        return this.putEvents((input.Entries ?? []) as PutEventsEntry[]);
      case 'DescribeEventBus': {
        const name = this.busName(typeof input.Name === 'string' ? input.Name : 'default');
        if (!this.buses.has(name))
          throw new AwsServiceError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
        return { Name: name, Arn: this.busArn(name) };
      }
      case 'ListEventBuses':
        return { EventBuses: [...this.buses].map((b) => ({ Name: b, Arn: this.busArn(b) })) };
      case 'TestEventPattern': {
        let pattern: unknown;
        let event: unknown;
        try {
          pattern = JSON.parse(String(input.EventPattern));
          event = JSON.parse(String(input.Event));
        } catch {
          throw new AwsServiceError(
            'InvalidEventPatternException',
            'Event pattern is not valid. Reason: malformed JSON',
          );
        }
        try {
          validateEventPattern(pattern);
        } catch (err) {
          if (err instanceof InvalidEventPatternError)
            throw new AwsServiceError('InvalidEventPatternException', err.message);
          throw err;
        }
        return { Result: matchesEventPattern(pattern, event) };
      }
      default:
        throw new AwsServiceError(
          'UnknownOperationException',
          `Operation ${operation} is not supported by the local EventBridge.`,
        );
    }
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pending = 0;
    this.settleIdle();
  }

  // ------------------------------------------------------------------------------------------ internals

  private busName(nameOrArn: string): string {
    const i = nameOrArn.indexOf(':event-bus/');
    return i >= 0 ? nameOrArn.slice(i + ':event-bus/'.length) : nameOrArn;
  }

  private acceptEntry(e: PutEventsEntry): { EventId: string } | { ErrorCode: string; ErrorMessage: string } {
    if (typeof e.Source !== 'string' || e.Source === '') {
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.',
      };
    }
    if (typeof e.DetailType !== 'string' || e.DetailType === '') {
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
      };
    }
    if (typeof e.Detail !== 'string' || e.Detail === '') {
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.',
      };
    }
    if (entrySize(e) > ENTRY_LIMIT_BYTES) {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Entry size exceeds the 256 KB limit.' };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(e.Detail);
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    const busName = this.busName(e.EventBusName || 'default');
    if (!this.buses.has(busName)) {
      return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${busName} does not exist.` };
    }
    const time = e.Time === undefined ? new Date() : toDate(e.Time);
    if (!time) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Time is not valid.' };
    const event: BusEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': e.DetailType,
      source: e.Source,
      account: this.accountId,
      time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.region,
      resources: Array.isArray(e.Resources) ? e.Resources : [],
      detail,
    };
    this.route(busName, event, true);
    return { EventId: event.id };
  }

  private route(busName: string, event: BusEvent, archive: boolean): void {
    const matched: Rule[] = [];
    for (const rule of this.rules.values()) {
      if (rule.eventBusName === busName && matchesEventPattern(rule.pattern, event)) matched.push(rule);
    }
    if (archive) {
      this.archive.push({
        eventBusName: busName,
        event,
        receivedAt: Date.now(),
        matchedRules: matched.map((r) => r.name),
      });
      if (this.archive.length > this.archiveLimit)
        this.archive.splice(0, this.archive.length - this.archiveLimit);
    }
    for (const rule of matched) this.deliver(rule, event);
  }

  /** Asynchronous at-least-once delivery with retries; PutEvents has already answered when the target runs. */
  private deliver(rule: Rule, event: BusEvent): void {
    this.pending++;
    const startedAt = Date.now();
    const maxAgeMs = (rule.retry.maximumEventAgeSeconds * 1000) / this.timeScale;
    let attempt = 0;
    const run = async () => {
      if (this.closed) return;
      attempt++;
      try {
        await rule.target(structuredClone(event));
        this.finish();
      } catch (err) {
        const retriesUsed = attempt - 1;
        const delay =
          Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** retriesUsed) * (0.5 + Math.random() * 0.5);
        const tooOld = Date.now() + delay - startedAt > maxAgeMs;
        if (retriesUsed >= rule.retry.maximumRetryAttempts || tooOld) {
          const dl: DeadLetteredEvent = {
            ruleName: rule.name,
            eventBusName: rule.eventBusName,
            event,
            error: err,
            attempts: attempt,
          };
          this.deadLetters.push(dl);
          try {
            if (rule.onDeadLetter) rule.onDeadLetter(event, err);
            else
              this.log(
                `[local-aws] rule ${rule.name}: event ${event.id} dropped after ${attempt} attempt(s)`,
                err,
              );
          } finally {
            this.finish();
          }
          return;
        }
        const t = setTimeout(() => {
          this.timers.delete(t);
          void run();
        }, delay);
        this.timers.add(t);
      }
    };
    setImmediate(() => void run());
  }

  private finish(): void {
    if (this.pending > 0) this.pending--;
    if (this.pending === 0) this.settleIdle();
  }

  private settleIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Time?: number | string | Date;
  Resources?: string[];
  TraceHeader?: string;
}

export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: Array<{ EventId: string } | { ErrorCode: string; ErrorMessage: string }>;
}

/** Entry size as EventBridge computes it (Time 14 bytes + UTF-8 bytes of Source, DetailType, Detail, Resources). */
export function entrySize(e: PutEventsEntry): number {
  let size = e.Time !== undefined ? 14 : 0;
  size += Buffer.byteLength(e.Source ?? '', 'utf8') + Buffer.byteLength(e.DetailType ?? '', 'utf8');
  if (e.Detail !== undefined) size += Buffer.byteLength(e.Detail, 'utf8');
  for (const r of e.Resources ?? []) size += Buffer.byteLength(r ?? '', 'utf8');
  return size;
}

function toDate(t: number | string | Date): Date | undefined {
  // On the wire (JSON 1.1) Time is epoch seconds.
  const d = t instanceof Date ? t : typeof t === 'number' ? new Date(t * 1000) : new Date(t);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/**
 * A rule target that sends the event (the JSON envelope, as EventBridge does without an input transformer) to
 * an SQS queue. For a FIFO queue EventBridge needs a MessageGroupId and the queue must use content-based
 * deduplication (EventBridge sends no MessageDeduplicationId).
 */
export function sqsTarget(
  sqs: LocalSqs,
  queueUrl: string,
  opts: { messageGroupId?: string | ((event: BusEvent) => string) } = {},
): (event: BusEvent) => Promise<void> {
  return async (event) => {
    const attrs = sqs.getQueueAttributes(queueUrl, ['FifoQueue', 'ContentBasedDeduplication']);
    const input: { MessageBody: string; MessageGroupId?: string } = { MessageBody: JSON.stringify(event) };
    if (attrs.FifoQueue === 'true') {
      if (attrs.ContentBasedDeduplication !== 'true') {
        throw new Error(
          `FIFO target ${queueUrl} must have ContentBasedDeduplication enabled for EventBridge`,
        );
      }
      const g = opts.messageGroupId;
      if (g === undefined) throw new Error('A FIFO queue target requires messageGroupId');
      input.MessageGroupId = typeof g === 'function' ? g(event) : g;
    }
    sqs.sendMessage(queueUrl, input);
  };
}
