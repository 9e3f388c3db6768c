import { randomUUID } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
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
  /**
   * Durable bus (issue 12): every accepted event that matches a rule is written (and fsynced) here before
   * PutEvents answers, and removed once every matched target has finished and `settle` has made the targets'
   * effects durable; `recover()` re-delivers what a killed process left. In AWS PutEvents is durable itself.
   */
  journalDir?: string;
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
  /** PutRule with `State: DISABLED` turns it off (its target stays); matched events skip it. */
  enabled: boolean;
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
  private readonly journalDir: string | undefined;
  /** Targets still to finish, per journaled event id. */
  private readonly outstanding = new Map<string, number>();
  private finishedIds: string[] = [];
  private compactTimer: NodeJS.Timeout | undefined;
  private compacting: Promise<void> = Promise.resolve();
  private settle: () => Promise<void> = async () => undefined;

  constructor(opts: LocalEventBusOptions) {
    this.accountId = opts.accountId;
    this.region = opts.region;
    this.timeScale = opts.timeScale ?? 1000;
    this.baseDelayMs = opts.retryBaseDelayMs ?? 20;
    this.maxDelayMs = opts.retryMaxDelayMs ?? 1000;
    this.archiveLimit = opts.archiveLimit ?? 10_000;
    this.log = opts.logger ?? ((m, e) => console.error(m, e));
    this.journalDir = opts.journalDir;
    if (this.journalDir) mkdirSync(this.journalDir, { recursive: true });
  }

  /**
   * What makes a finished delivery's effects durable (the runtime passes the local SQS flush): a journaled event
   * is forgotten only after it, so a kill between "target done" and "queue on disk" replays the event.
   */
  settleWith(settle: () => Promise<void>): void {
    this.settle = settle;
  }

  /** Events accepted but not yet delivered everywhere (durable bus only). */
  get journaledEvents(): number {
    return this.outstanding.size;
  }

  /**
   * Re-delivers every event a previous process accepted but did not finish delivering (call once the rules
   * exist). At least once: a target may see an event again, as EventBridge allows.
   */
  recover(): number {
    const dir = this.journalDir;
    if (!dir) return 0;
    let count = 0;
    for (const file of readdirSync(dir)) {
      if (!file.endsWith('.json')) continue;
      let entry: { busName: string; event: BusEvent };
      try {
        entry = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { busName: string; event: BusEvent };
      } catch {
        // Cut short by the crash, so never acknowledged to its caller: nothing to deliver.
        rmSync(join(dir, file), { force: true });
        continue;
      }
      if (this.outstanding.has(entry.event.id)) continue;
      this.route(entry.busName, entry.event, false, 'recovered');
      count++;
    }
    return count;
  }

  /** Writes all settled journal removals now (tests, shutdown). */
  async flushJournal(): Promise<void> {
    if (this.compactTimer) {
      clearTimeout(this.compactTimer);
      this.compactTimer = undefined;
    }
    const ids = this.finishedIds;
    this.finishedIds = [];
    const dir = this.journalDir;
    if (!dir || ids.length === 0) return this.compacting;
    this.compacting = this.compacting.then(async () => {
      await this.settle();
      for (const id of ids) rmSync(join(dir, `${id}.json`), { force: true });
    });
    return this.compacting;
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
      enabled: true,
    });
  }

  private ruleArn(rule: Rule): string {
    const path = rule.eventBusName === 'default' ? rule.name : `${rule.eventBusName}/${rule.name}`;
    return `arn:aws:events:${this.region}:${this.accountId}:rule/${path}`;
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
      // PutRule on a rule the runtime added (its target is in-process code, so a new rule cannot be made over
      // the wire): a new pattern and state, as the webhook subscriptions narrow their rule (docs/cost.md).
      case 'PutRule': {
        const rule = this.rules.get(`${this.busName(String(input.EventBusName ?? 'default'))}/${input.Name}`);
        if (!rule)
          throw new AwsServiceError(
            'ResourceNotFoundException',
            `Rule ${String(input.Name)} does not exist locally (only the runtime's rules can be updated).`,
          );
        let pattern: EventPattern;
        try {
          pattern = JSON.parse(String(input.EventPattern)) as EventPattern;
          validateEventPattern(pattern);
        } catch (error) {
          throw new AwsServiceError('InvalidEventPatternException', `Event pattern is not valid: ${error}`);
        }
        rule.pattern = pattern;
        rule.enabled = input.State !== 'DISABLED';
        return { RuleArn: this.ruleArn(rule) };
      }
      case 'DescribeRule': {
        const rule = this.rules.get(`${this.busName(String(input.EventBusName ?? 'default'))}/${input.Name}`);
        if (!rule)
          throw new AwsServiceError(
            'ResourceNotFoundException',
            `Rule ${String(input.Name)} does not exist.`,
          );
        return {
          Name: rule.name,
          EventBusName: rule.eventBusName,
          EventPattern: JSON.stringify(rule.pattern),
          State: rule.enabled ? 'ENABLED' : 'DISABLED',
          Arn: this.ruleArn(rule),
        };
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
    this.route(busName, event, true, 'write');
    return { EventId: event.id };
  }

  private route(
    busName: string,
    event: BusEvent,
    archive: boolean,
    journal: 'write' | 'recovered' | 'none' = 'none',
  ): void {
    const matched: Rule[] = [];
    for (const rule of this.rules.values()) {
      if (rule.enabled && rule.eventBusName === busName && matchesEventPattern(rule.pattern, event))
        matched.push(rule);
    }
    if (this.journalDir && journal !== 'none') {
      if (matched.length === 0) {
        if (journal === 'recovered') this.forget(event.id);
      } else {
        if (journal === 'write') this.writeJournal(busName, event);
        this.outstanding.set(event.id, matched.length);
      }
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
        this.targetDone(event.id);
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
            this.targetDone(event.id);
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

  private writeJournal(busName: string, event: BusEvent): void {
    const file = join(this.journalDir as string, `${event.id}.json`);
    const fd = openSync(file, 'w');
    try {
      writeSync(fd, JSON.stringify({ busName, event }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  private targetDone(eventId: string): void {
    const left = this.outstanding.get(eventId);
    if (left === undefined) return;
    if (left > 1) {
      this.outstanding.set(eventId, left - 1);
      return;
    }
    this.forget(eventId);
  }

  private forget(eventId: string): void {
    this.outstanding.delete(eventId);
    this.finishedIds.push(eventId);
    if (this.compactTimer || this.closed) return;
    this.compactTimer = setTimeout(() => {
      this.compactTimer = undefined;
      void this.flushJournal().catch((err) => this.log('[local-aws] event journal not compacted', err));
    }, 20);
    this.compactTimer.unref?.();
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
