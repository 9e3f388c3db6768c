import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AwsServiceError } from './errors.js';

/** Local (in-process) SQS emulation: queue state + the AWS JSON 1.0 wire operations (`AmazonSQS.*`). */

export interface RedrivePolicyOptions {
  deadLetterQueueName: string;
  maxReceiveCount: number;
}

export interface CreateQueueOptions {
  /** Defaults to `name.endsWith('.fifo')`. A FIFO queue name must end in `.fifo`, as in SQS. */
  fifo?: boolean;
  visibilityTimeoutSeconds?: number;
  messageRetentionSeconds?: number;
  contentBasedDeduplication?: boolean;
  delaySeconds?: number;
  receiveMessageWaitTimeSeconds?: number;
  maximumMessageSize?: number;
  redrivePolicy?: RedrivePolicyOptions;
}

/** Message attribute as carried on the wire (JSON protocol): binary values are base64 strings. */
export interface WireMessageAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
  StringListValues?: string[];
  BinaryListValues?: string[];
}

/** A received message, in the wire shape of `ReceiveMessage` output. */
export interface ReceivedMessage {
  MessageId: string;
  ReceiptHandle: string;
  MD5OfBody: string;
  Body: string;
  Attributes?: Record<string, string>;
  MD5OfMessageAttributes?: string;
  MessageAttributes?: Record<string, WireMessageAttributeValue>;
}

export interface SendMessageInput {
  MessageBody: string;
  DelaySeconds?: number;
  MessageAttributes?: Record<string, WireMessageAttributeValue>;
  MessageSystemAttributes?: Record<string, WireMessageAttributeValue>;
  MessageDeduplicationId?: string;
  MessageGroupId?: string;
}

export interface SendMessageOutput {
  MessageId: string;
  MD5OfMessageBody: string;
  MD5OfMessageAttributes?: string;
  MD5OfMessageSystemAttributes?: string;
  SequenceNumber?: string;
}

export interface ReceiveMessageInput {
  MaxNumberOfMessages?: number;
  VisibilityTimeout?: number;
  WaitTimeSeconds?: number;
  AttributeNames?: string[];
  MessageSystemAttributeNames?: string[];
  MessageAttributeNames?: string[];
  ReceiveRequestAttemptId?: string;
}

export interface LocalSqsOptions {
  endpoint: string;
  accountId: string;
  region: string;
  /** Directory for persisted queue state; omit for memory-only. */
  stateDir?: string;
  /** Injectable clock (ms since epoch), for tests of retention / deduplication windows. */
  clock?: () => number;
  /** Debounce for state writes (ms). `close()`/`flush()` always write pending state. Default 20. */
  persistDebounceMs?: number;
  /** SQS allows one PurgeQueue per queue every 60 s (PurgeQueueInProgress). Default true, as AWS. */
  enforcePurgeCooldown?: boolean;
  /** A journal is appended to until it outgrows both its snapshot and this many bytes. Default 4 MiB. */
  minJournalBytes?: number;
}

/**
 * What changed in a persisted queue since its last write: the journal lines the next write appends. A message
 * maps to itself (written as it is when the write starts) or to null (gone).
 */
interface QueueChanges {
  purged: boolean;
  messages: Map<string, StoredMessage | null>;
  dedup: Array<[string, DedupEntry]>;
}

/** A queue's files: the snapshot `<name>.json` of `generation` and the journal `<name>.<generation>.log` after it. */
interface QueueFiles {
  generation: number;
  snapshotBytes: number;
  logBytes: number;
}

/** One journal line. */
type JournalLine =
  | { put: StoredMessage }
  | { del: string }
  | { purge: true }
  | { dedup: [string, DedupEntry] }
  | { meta: Omit<QueueState, 'messages' | 'dedup'> };

interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  messageAttributes?: Record<string, WireMessageAttributeValue>;
  md5OfMessageAttributes?: string;
  awsTraceHeader?: string;
  sentTimestamp: number;
  /** Start of the retention period (reset when a message enters a FIFO DLQ, as SQS does). */
  retentionStart: number;
  /** The message is not receivable before this time (delay or visibility timeout). */
  visibleAt: number;
  receiveCount: number;
  firstReceiveTimestamp?: number;
  /** Nonce of the most recent receive; a receipt handle carries it. */
  receiptNonce?: string;
  groupId?: string;
  dedupId?: string;
  sequenceNumber?: string;
  deadLetterQueueSourceArn?: string;
}

interface DedupEntry {
  expiresAt: number;
  messageId: string;
  sequenceNumber?: string;
}

interface MoveTask {
  taskHandle: string;
  status: 'RUNNING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';
  sourceArn: string;
  destinationArn?: string;
  maxNumberOfMessagesPerSecond?: number;
  approximateNumberOfMessagesMoved: number;
  approximateNumberOfMessagesToMove: number;
  startedTimestamp: number;
  failureReason?: string;
}

interface QueueState {
  name: string;
  attributes: Record<string, string>;
  tags: Record<string, string>;
  messages: StoredMessage[];
  dedup: Record<string, DedupEntry>;
  nextSequence: string;
  lastPurge?: number;
  moveTasks: MoveTask[];
}

const MAX_VISIBILITY_SECONDS = 43_200;
const DEDUP_WINDOW_MS = 5 * 60 * 1000;
/** Expired deduplication entries are swept at most this often (they are checked one by one when used). */
const DEDUP_SWEEP_MS = 60 * 1000;
const DEFAULT_MAX_MESSAGE_SIZE = 262_144;
const MESSAGE_SIZE_CEILING = 1_048_576;

const md5Hex = (data: string | Buffer) => createHash('md5').update(data).digest('hex');
const sha256Hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');

function sqsError(code: string, message: string, queryCode?: string): AwsServiceError {
  return new AwsServiceError(code, message, { queryCode: queryCode ?? code });
}
const queueDoesNotExist = () =>
  sqsError(
    'QueueDoesNotExist',
    'The specified queue does not exist.',
    'AWS.SimpleQueueService.NonExistentQueue',
  );
const invalidParameter = (message: string) => sqsError('InvalidParameterValue', message);
const missingParameter = (name: string) =>
  sqsError('MissingParameter', `The request must contain the parameter ${name}.`);

/**
 * MD5 of message attributes per the SQS algorithm: attributes sorted by name; for each, the 4-byte big-endian
 * length + UTF-8 bytes of the name and of the data type, a transport byte (1 = string/number, 2 = binary),
 * then the length-prefixed value.
 */
export function md5OfMessageAttributes(attrs: Record<string, WireMessageAttributeValue>): string {
  const parts: Buffer[] = [];
  const lenPrefixed = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length, 0);
    parts.push(len, b);
  };
  for (const name of Object.keys(attrs).sort()) {
    const v = attrs[name];
    if (!v) continue;
    lenPrefixed(Buffer.from(name, 'utf8'));
    lenPrefixed(Buffer.from(v.DataType, 'utf8'));
    if (v.BinaryValue !== undefined) {
      parts.push(Buffer.from([2]));
      lenPrefixed(Buffer.from(v.BinaryValue, 'base64'));
    } else {
      parts.push(Buffer.from([1]));
      lenPrefixed(Buffer.from(v.StringValue ?? '', 'utf8'));
    }
  }
  return md5Hex(Buffer.concat(parts));
}

// Characters SQS accepts in a body: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF
const INVALID_BODY_CHARS = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function validateAttributes(attrs: Record<string, WireMessageAttributeValue> | undefined): number {
  if (!attrs) return 0;
  const names = Object.keys(attrs);
  if (names.length > 10)
    throw invalidParameter(
      `Number of message attributes [${names.length}] exceeds the allowed maximum [10].`,
    );
  let size = 0;
  for (const name of names) {
    const v = attrs[name] as WireMessageAttributeValue;
    if (
      !/^[A-Za-z0-9_.-]{1,256}$/.test(name) ||
      /^(aws\.|amazon\.)/i.test(name) ||
      name.startsWith('.') ||
      name.endsWith('.') ||
      name.includes('..')
    ) {
      throw invalidParameter(`Message attribute name '${name}' is invalid.`);
    }
    if (!v || typeof v.DataType !== 'string' || !/^(String|Number|Binary)(\..+)?$/.test(v.DataType)) {
      throw invalidParameter(`The type of message (user) attribute '${name}' is invalid.`);
    }
    const binary = v.DataType.startsWith('Binary');
    if (binary ? v.BinaryValue === undefined : v.StringValue === undefined) {
      throw invalidParameter(
        `Message (user) attribute '${name}' must contain a non-empty value of type '${v.DataType}'.`,
      );
    }
    if (v.DataType.startsWith('Number') && !Number.isFinite(Number(v.StringValue))) {
      throw invalidParameter(`Could not cast message attribute '${name}' value to number.`);
    }
    size += Buffer.byteLength(name) + Buffer.byteLength(v.DataType);
    size += binary
      ? Buffer.from(v.BinaryValue ?? '', 'base64').length
      : Buffer.byteLength(v.StringValue ?? '');
  }
  return size;
}

function nameFromUrlOrName(queueUrl: string): string {
  const trimmed = queueUrl.replace(/\/+$/, '');
  const idx = trimmed.lastIndexOf('/');
  return idx >= 0 ? trimmed.slice(idx + 1) : trimmed;
}

function encodeReceipt(queue: string, messageId: string, nonce: string): string {
  return Buffer.from(JSON.stringify([queue, messageId, nonce]), 'utf8').toString('base64');
}

function decodeReceipt(handle: string): [string, string, string] | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(handle, 'base64').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 3 && parsed.every((p) => typeof p === 'string')) {
      return parsed as [string, string, string];
    }
  } catch {
    // fall through
  }
  return undefined;
}

const num = (v: string | undefined, dflt: number) => (v === undefined || v === '' ? dflt : Number(v));

export class LocalSqs {
  readonly endpoint: string;
  readonly accountId: string;
  readonly region: string;
  private readonly stateDir: string | undefined;
  private readonly now: () => number;
  private readonly debounceMs: number;
  private readonly enforcePurgeCooldown: boolean;
  private readonly minJournalBytes: number;
  private readonly queues = new Map<string, QueueState>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly dirty = new Set<string>();
  private readonly deleted = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  /**
   * Per queue, the earliest time at which a stored message can expire: `expire()` scans the messages only once it
   * is reached, instead of at every send and receive (quadratic with a month-end backlog). Never later than the
   * true earliest expiry: every message added lowers it; no entry means "scan".
   */
  private readonly nextExpiry = new WeakMap<QueueState, number>();
  /**
   * Per queue, when `expire()` next sweeps the deduplication entries: once the earliest can have expired, and at
   * most once per `DEDUP_SWEEP_MS`. Under a steady stream of sends an entry expires every few milliseconds, and a
   * sweep per expiry was a pass over every entry at every send. A lingering expired entry does no harm: a send
   * checks the entry's own `expiresAt`.
   */
  private readonly nextDedupSweep = new WeakMap<QueueState, number>();
  /**
   * Persistence is a snapshot per queue plus an append-only journal of what changed since (issue 16: rewriting a
   * 50,000-message queue at every burst took most of the local hub's CPU at month-end). A queue without an entry
   * here (new, loaded, or after a failed write) gets a fresh snapshot at its next write; so does one whose journal
   * has outgrown its snapshot, which bounds the bytes written to about twice what changed.
   */
  private readonly files = new Map<string, QueueFiles>();
  private readonly changes = new Map<string, QueueChanges>();
  /** The highest snapshot generation used per queue name, so a new snapshot never reuses an old journal. */
  private readonly generations = new Map<string, number>();
  /** The write under way (never rejects), and the one waiting behind it, not yet snapshotted. */
  private currentWrite: Promise<void> = Promise.resolve();
  private nextWrite: Promise<void> | undefined;
  private closed = false;

  constructor(opts: LocalSqsOptions) {
    this.endpoint = opts.endpoint.replace(/\/+$/, '');
    this.accountId = opts.accountId;
    this.region = opts.region;
    this.stateDir = opts.stateDir ? join(opts.stateDir, 'sqs') : undefined;
    this.now = opts.clock ?? Date.now;
    this.debounceMs = opts.persistDebounceMs ?? 20;
    this.enforcePurgeCooldown = opts.enforcePurgeCooldown ?? true;
    this.minJournalBytes = opts.minJournalBytes ?? 4 * 1024 * 1024;
  }

  // ---------------------------------------------------------------- local (in-process) API

  queueUrl(name: string): string {
    return `${this.endpoint}/${this.accountId}/${name}`;
  }

  queueArn(name: string): string {
    return `arn:aws:sqs:${this.region}:${this.accountId}:${name}`;
  }

  /** Creates the queue, or updates the configuration of an existing one (keeping its messages). Returns its URL. */
  createQueue(name: string, opts: CreateQueueOptions = {}): string {
    const fifo = opts.fifo ?? name.endsWith('.fifo');
    const attributes: Record<string, string> = {};
    if (fifo) attributes.FifoQueue = 'true';
    if (opts.visibilityTimeoutSeconds !== undefined)
      attributes.VisibilityTimeout = String(opts.visibilityTimeoutSeconds);
    if (opts.messageRetentionSeconds !== undefined)
      attributes.MessageRetentionPeriod = String(opts.messageRetentionSeconds);
    if (opts.contentBasedDeduplication !== undefined)
      attributes.ContentBasedDeduplication = String(opts.contentBasedDeduplication);
    if (opts.delaySeconds !== undefined) attributes.DelaySeconds = String(opts.delaySeconds);
    if (opts.receiveMessageWaitTimeSeconds !== undefined) {
      attributes.ReceiveMessageWaitTimeSeconds = String(opts.receiveMessageWaitTimeSeconds);
    }
    if (opts.maximumMessageSize !== undefined)
      attributes.MaximumMessageSize = String(opts.maximumMessageSize);
    if (opts.redrivePolicy) {
      attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: this.queueArn(opts.redrivePolicy.deadLetterQueueName),
        maxReceiveCount: opts.redrivePolicy.maxReceiveCount,
      });
    }
    const existing = this.queues.get(name);
    if (existing) {
      const next = this.normalizeAttributes(
        name,
        { ...this.defaultAttributes(name, fifo), ...attributes },
        true,
      );
      existing.attributes = { ...existing.attributes, ...next, LastModifiedTimestamp: this.epochSeconds() };
      this.nextExpiry.delete(existing); // the retention period may have changed
      this.markDirty(name);
      return this.queueUrl(name);
    }
    this.createQueueInternal(name, attributes, {});
    return this.queueUrl(name);
  }

  hasQueue(nameOrUrl: string): boolean {
    return this.queues.has(nameFromUrlOrName(nameOrUrl));
  }

  listQueueNames(): string[] {
    return [...this.queues.keys()].sort();
  }

  sendMessage(queueUrl: string, input: SendMessageInput): SendMessageOutput {
    const q = this.getQueue(queueUrl);
    const out = this.enqueue(q, input);
    this.afterMutation(q);
    return out;
  }

  /** Receives immediately (no long polling). */
  receiveMessagesNow(queueUrl: string, input: ReceiveMessageInput = {}): ReceivedMessage[] {
    const q = this.getQueue(queueUrl);
    return this.receiveFrom(q, input);
  }

  /** Receives with long polling (`WaitTimeSeconds`, else the queue's ReceiveMessageWaitTimeSeconds). */
  async receiveMessages(
    queueUrl: string,
    input: ReceiveMessageInput = {},
    signal?: AbortSignal,
  ): Promise<ReceivedMessage[]> {
    const name = this.getQueue(queueUrl).name;
    const q0 = this.getQueue(name);
    const waitSeconds = input.WaitTimeSeconds ?? num(q0.attributes.ReceiveMessageWaitTimeSeconds, 0);
    if (!Number.isInteger(waitSeconds) || waitSeconds < 0 || waitSeconds > 20) {
      throw invalidParameter(
        `Value ${waitSeconds} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.`,
      );
    }
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      const q = this.getQueue(name); // throws if deleted meanwhile
      const got = this.receiveFrom(q, input);
      const remaining = deadline - Date.now();
      if (got.length > 0 || remaining <= 0 || this.closed || signal?.aborted) return got;
      await this.waitForChange(name, Math.min(remaining, 100), signal);
    }
  }

  deleteMessage(queueUrl: string, receiptHandle: string): void {
    const q = this.getQueue(queueUrl);
    this.deleteByReceipt(q, receiptHandle);
    this.afterMutation(q);
  }

  changeMessageVisibility(queueUrl: string, receiptHandle: string, visibilityTimeoutSeconds: number): void {
    const q = this.getQueue(queueUrl);
    this.changeVisibility(q, receiptHandle, visibilityTimeoutSeconds);
    this.afterMutation(q);
  }

  purgeQueue(queueUrl: string): void {
    const q = this.getQueue(queueUrl);
    const now = this.now();
    if (this.enforcePurgeCooldown && q.lastPurge !== undefined && now - q.lastPurge < 60_000) {
      throw sqsError(
        'PurgeQueueInProgress',
        `Only one PurgeQueue operation on ${q.name} is allowed every 60 seconds.`,
        'AWS.SimpleQueueService.PurgeQueueInProgress',
      );
    }
    q.lastPurge = now;
    q.messages = [];
    const changes = this.changesOf(q);
    if (changes) {
      changes.purged = true;
      changes.messages.clear();
    }
    this.afterMutation(q);
  }

  deleteQueue(queueUrl: string): void {
    const q = this.getQueue(queueUrl);
    this.queues.delete(q.name);
    this.dirty.delete(q.name);
    this.files.delete(q.name);
    this.changes.delete(q.name);
    this.deleted.add(q.name);
    this.scheduleFlush();
    this.notify(q.name);
  }

  getQueueAttributes(queueUrl: string, names: string[] = ['All']): Record<string, string> {
    const q = this.getQueue(queueUrl);
    this.expire(q);
    const now = this.now();
    let visible = 0;
    let inFlight = 0;
    let delayed = 0;
    for (const m of q.messages) {
      if (m.visibleAt <= now) visible++;
      else if (m.receiveCount > 0 && m.receiptNonce !== undefined) inFlight++;
      else delayed++;
    }
    const all: Record<string, string> = {
      ...q.attributes,
      QueueArn: this.queueArn(q.name),
      ApproximateNumberOfMessages: String(visible),
      ApproximateNumberOfMessagesNotVisible: String(inFlight),
      ApproximateNumberOfMessagesDelayed: String(delayed),
    };
    if (names.includes('All')) return all;
    const out: Record<string, string> = {};
    for (const n of names) {
      if (!(n in all) && !KNOWN_QUEUE_ATTRIBUTES.has(n)) {
        throw sqsError('InvalidAttributeName', `Unknown Attribute ${n}.`);
      }
      if (all[n] !== undefined) out[n] = all[n];
    }
    return out;
  }

  /** Total messages currently stored (visible + in flight + delayed). */
  messageCount(queueUrl: string): number {
    const q = this.getQueue(queueUrl);
    this.expire(q);
    return q.messages.length;
  }

  /** Age in seconds of the oldest stored message (CloudWatch ApproximateAgeOfOldestMessage); 0 when empty. */
  oldestMessageAgeSeconds(queueUrl: string): number {
    const q = this.getQueue(queueUrl);
    this.expire(q);
    if (q.messages.length === 0) return 0;
    const oldest = Math.min(...q.messages.map((m) => m.sentTimestamp));
    return Math.max(0, Math.floor((this.now() - oldest) / 1000));
  }

  // ---------------------------------------------------------------- persistence

  /**
   * Loads persisted queues from `stateDir`: each snapshot, then its journal. In-flight messages become visible
   * again (their receipt handles die).
   */
  async load(): Promise<void> {
    if (!this.stateDir) return;
    await mkdir(this.stateDir, { recursive: true });
    for (const file of await readdir(this.stateDir)) {
      if (!file.endsWith('.json')) continue;
      const base = file.slice(0, -'.json'.length);
      const raw = await readFile(join(this.stateDir, file), 'utf8');
      const state = JSON.parse(raw) as QueueState & { generation?: number };
      const generation = state.generation ?? 0; // snapshots written before the journal carry none
      delete state.generation;
      const journal = await readFile(join(this.stateDir, `${base}.${generation}.log`), 'utf8').catch(
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return '';
          throw error;
        },
      );
      if (journal) replayJournal(state, journal);
      const now = this.now();
      for (const m of state.messages) {
        if (m.receiptNonce !== undefined && m.visibleAt > now) m.visibleAt = now;
        m.receiptNonce = undefined;
      }
      state.moveTasks ??= [];
      this.queues.set(state.name, state);
      // No `files` entry: the queue's next write is a fresh snapshot, so nothing is appended after a line a
      // crash may have cut short.
      this.generations.set(state.name, generation);
    }
  }

  /**
   * Writes all pending state: resolves once every change made before the call is on disk. Writes are coalesced:
   * at most one is under way and one waits behind it, and the waiting one takes its snapshot only when it starts.
   * (Snapshotting at every call and chaining the writes kept one whole-queue JSON per bus delivery in memory
   * whenever the disk fell behind: with a backlog of thousands of messages the hub ran out of heap.)
   */
  flush(): Promise<void> {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    if (!this.stateDir) return Promise.resolve();
    // The waiting write has not taken its snapshot yet, so it will include this caller's changes.
    if (this.nextWrite) return this.nextWrite;
    const next = this.currentWrite.then(() => {
      this.nextWrite = undefined;
      const write = this.writeDirty();
      this.currentWrite = write.catch(() => undefined);
      return write;
    });
    this.nextWrite = next;
    return next;
  }

  /**
   * Takes what the dirty queues need written synchronously — a whole snapshot for a queue that needs one, else
   * its journal lines — then writes it (a snapshot atomically by rename, journal lines by append).
   */
  private async writeDirty(): Promise<void> {
    const dir = this.stateDir;
    if (!dir) return;
    const names = [...this.dirty];
    const removed = [...this.deleted];
    this.dirty.clear();
    this.deleted.clear();
    const writes: Array<{ name: string; generation: number; snapshot?: string; journal?: string }> = [];
    for (const name of names) {
      const q = this.queues.get(name);
      if (!q) continue;
      const changes = this.changes.get(name);
      this.changes.delete(name);
      const files = this.files.get(name);
      if (!files || files.logBytes > Math.max(this.minJournalBytes, files.snapshotBytes)) {
        const generation = (this.generations.get(name) ?? 0) + 1;
        this.generations.set(name, generation);
        const snapshot = JSON.stringify({ ...q, generation });
        this.files.set(name, { generation, snapshotBytes: snapshot.length, logBytes: 0 });
        writes.push({ name, generation, snapshot });
      } else {
        const journal = journalLines(q, changes);
        files.logBytes += journal.length;
        writes.push({ name, generation: files.generation, journal });
      }
    }
    if (writes.length === 0 && removed.length === 0) return;
    try {
      await mkdir(dir, { recursive: true });
      for (const w of writes) {
        const base = encodeURIComponent(w.name);
        if (w.journal !== undefined) {
          // message bodies may hold PHI
          await appendFile(join(dir, `${base}.${w.generation}.log`), w.journal, {
            encoding: 'utf8',
            mode: 0o600,
          });
          continue;
        }
        const file = join(dir, `${base}.json`);
        const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
        await writeFile(tmp, w.snapshot as string, { encoding: 'utf8', mode: 0o600 });
        await rename(tmp, file);
        await this.removeJournals(dir, base, w.generation);
      }
      for (const n of removed) {
        const base = encodeURIComponent(n);
        await rm(join(dir, `${base}.json`), { force: true });
        await this.removeJournals(dir, base);
      }
    } catch (error) {
      // Not on disk: the next write must try these again, each as a fresh snapshot (a journal line may be lost).
      for (const n of names) {
        this.dirty.add(n);
        this.files.delete(n);
      }
      for (const n of removed) if (!this.queues.has(n)) this.deleted.add(n);
      throw error;
    }
  }

  /** Removes a queue's journals but the one of `keep` (older generations, superseded by the snapshot). */
  private async removeJournals(dir: string, base: string, keep?: number): Promise<void> {
    for (const file of await readdir(dir)) {
      if (!file.startsWith(`${base}.`) || !file.endsWith('.log')) continue;
      const generation = file.slice(base.length + 1, -'.log'.length);
      if (/^\d+$/.test(generation) && Number(generation) !== keep) await rm(join(dir, file), { force: true });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const set of this.waiters.values()) for (const w of set) w();
    await this.flush();
  }

  // ---------------------------------------------------------------- wire protocol (AWS JSON 1.0)

  async handle(operation: string, input: Record<string, unknown>): Promise<unknown> {
    switch (operation) {
      case 'CreateQueue':
        return this.wireCreateQueue(input);
      case 'GetQueueUrl': {
        const name = str(input.QueueName, 'QueueName');
        if (!this.queues.has(name)) throw queueDoesNotExist();
        return { QueueUrl: this.queueUrl(name) };
      }
      case 'ListQueues': {
        const prefix = typeof input.QueueNamePrefix === 'string' ? input.QueueNamePrefix : '';
        const max = typeof input.MaxResults === 'number' ? input.MaxResults : 1000;
        const start =
          typeof input.NextToken === 'string' ? Number(Buffer.from(input.NextToken, 'base64').toString()) : 0;
        const names = this.listQueueNames().filter((n) => n.startsWith(prefix));
        const page = names.slice(start, start + max);
        const out: Record<string, unknown> = { QueueUrls: page.map((n) => this.queueUrl(n)) };
        if (input.MaxResults !== undefined && start + max < names.length) {
          out.NextToken = Buffer.from(String(start + max)).toString('base64');
        }
        return out;
      }
      case 'DeleteQueue':
        this.deleteQueue(str(input.QueueUrl, 'QueueUrl'));
        return {};
      case 'GetQueueAttributes': {
        const names = Array.isArray(input.AttributeNames) ? (input.AttributeNames as string[]) : [];
        if (names.length === 0) {
          this.getQueue(str(input.QueueUrl, 'QueueUrl'));
          return {};
        }
        return { Attributes: this.getQueueAttributes(str(input.QueueUrl, 'QueueUrl'), names) };
      }
      case 'SetQueueAttributes': {
        const q = this.getQueue(str(input.QueueUrl, 'QueueUrl'));
        const attrs = (input.Attributes ?? {}) as Record<string, string>;
        const fifo = q.attributes.FifoQueue === 'true';
        if ('FifoQueue' in attrs && (attrs.FifoQueue === 'true') !== fifo) {
          throw sqsError('InvalidAttributeName', 'Unknown Attribute FifoQueue.');
        }
        const next = this.normalizeAttributes(q.name, { ...q.attributes, ...attrs }, true);
        q.attributes = { ...next, LastModifiedTimestamp: this.epochSeconds() };
        this.nextExpiry.delete(q); // the retention period may have changed
        this.afterMutation(q);
        return {};
      }
      case 'SendMessage': {
        const q = this.getQueue(str(input.QueueUrl, 'QueueUrl'));
        const out = this.enqueue(q, input as unknown as SendMessageInput);
        this.afterMutation(q);
        return out;
      }
      case 'SendMessageBatch':
        return this.wireSendBatch(input);
      case 'ReceiveMessage': {
        const out = await this.receiveMessages(str(input.QueueUrl, 'QueueUrl'), input as ReceiveMessageInput);
        return { Messages: out };
      }
      case 'DeleteMessage':
        this.deleteMessage(str(input.QueueUrl, 'QueueUrl'), str(input.ReceiptHandle, 'ReceiptHandle'));
        return {};
      case 'DeleteMessageBatch':
        return this.wireBatch(input, (q, e) =>
          this.deleteByReceipt(q, str(e.ReceiptHandle, 'ReceiptHandle')),
        );
      case 'ChangeMessageVisibility':
        this.changeMessageVisibility(
          str(input.QueueUrl, 'QueueUrl'),
          str(input.ReceiptHandle, 'ReceiptHandle'),
          int(input.VisibilityTimeout, 'VisibilityTimeout'),
        );
        return {};
      case 'ChangeMessageVisibilityBatch':
        return this.wireBatch(input, (q, e) =>
          this.changeVisibility(
            q,
            str(e.ReceiptHandle, 'ReceiptHandle'),
            int(e.VisibilityTimeout, 'VisibilityTimeout'),
          ),
        );
      case 'PurgeQueue':
        this.purgeQueue(str(input.QueueUrl, 'QueueUrl'));
        return {};
      case 'ListDeadLetterSourceQueues': {
        const q = this.getQueue(str(input.QueueUrl, 'QueueUrl'));
        const arn = this.queueArn(q.name);
        const urls = [...this.queues.values()]
          .filter((s) => this.redriveOf(s)?.deadLetterTargetArn === arn)
          .map((s) => this.queueUrl(s.name));
        return { queueUrls: urls };
      }
      case 'TagQueue': {
        const q = this.getQueue(str(input.QueueUrl, 'QueueUrl'));
        Object.assign(q.tags, (input.Tags ?? {}) as Record<string, string>);
        this.afterMutation(q);
        return {};
      }
      case 'UntagQueue': {
        const q = this.getQueue(str(input.QueueUrl, 'QueueUrl'));
        for (const k of (input.TagKeys ?? []) as string[]) delete q.tags[k];
        this.afterMutation(q);
        return {};
      }
      case 'ListQueueTags':
        return { Tags: { ...this.getQueue(str(input.QueueUrl, 'QueueUrl')).tags } };
      case 'StartMessageMoveTask':
        return this.startMessageMoveTask(input);
      case 'ListMessageMoveTasks': {
        const sourceArn = str(input.SourceArn, 'SourceArn');
        const q = this.queueByArn(sourceArn);
        const max = typeof input.MaxResults === 'number' ? input.MaxResults : 1;
        return {
          Results: [...q.moveTasks]
            .reverse()
            .slice(0, max)
            .map((t) => ({
              TaskHandle: t.status === 'RUNNING' ? t.taskHandle : undefined,
              Status: t.status,
              SourceArn: t.sourceArn,
              DestinationArn: t.destinationArn,
              MaxNumberOfMessagesPerSecond: t.maxNumberOfMessagesPerSecond,
              ApproximateNumberOfMessagesMoved: t.approximateNumberOfMessagesMoved,
              ApproximateNumberOfMessagesToMove: t.approximateNumberOfMessagesToMove,
              FailureReason: t.failureReason,
              StartedTimestamp: t.startedTimestamp,
            })),
        };
      }
      case 'CancelMessageMoveTask':
        throw sqsError('ResourceNotFoundException', 'The resource that you requested does not exist.');
      default:
        throw new AwsServiceError(
          'UnsupportedOperation',
          `Operation ${operation} is not supported by the local SQS.`,
          {
            queryCode: 'AWS.SimpleQueueService.UnsupportedOperation',
          },
        );
    }
  }

  // ---------------------------------------------------------------- internals

  private epochSeconds(): string {
    return String(Math.floor(this.now() / 1000));
  }

  private defaultAttributes(name: string, fifo: boolean): Record<string, string> {
    const base: Record<string, string> = {
      VisibilityTimeout: '30',
      MessageRetentionPeriod: '345600',
      DelaySeconds: '0',
      ReceiveMessageWaitTimeSeconds: '0',
      MaximumMessageSize: String(DEFAULT_MAX_MESSAGE_SIZE),
      SqsManagedSseEnabled: 'true',
    };
    if (fifo || name.endsWith('.fifo')) {
      base.FifoQueue = 'true';
      base.ContentBasedDeduplication = 'false';
      base.DeduplicationScope = 'queue';
      base.FifoThroughputLimit = 'perQueue';
    }
    return base;
  }

  private normalizeAttributes(
    name: string,
    attrs: Record<string, string>,
    _update: boolean,
  ): Record<string, string> {
    const fifo = attrs.FifoQueue === 'true';
    if (fifo !== name.endsWith('.fifo')) {
      throw invalidParameter(
        fifo
          ? 'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.'
          : 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      );
    }
    const out: Record<string, string> = {};
    const range = (key: string, min: number, max: number) => {
      const v = attrs[key];
      if (v === undefined) return;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        throw sqsError('InvalidAttributeValue', `Invalid value for the parameter ${key}.`);
      }
      out[key] = String(n);
    };
    range('VisibilityTimeout', 0, MAX_VISIBILITY_SECONDS);
    range('MessageRetentionPeriod', 60, 1_209_600);
    range('DelaySeconds', 0, 900);
    range('ReceiveMessageWaitTimeSeconds', 0, 20);
    range('MaximumMessageSize', 1024, MESSAGE_SIZE_CEILING);
    for (const key of Object.keys(attrs)) {
      if (key in out) continue;
      const v = attrs[key] as string;
      switch (key) {
        case 'FifoQueue':
        case 'ContentBasedDeduplication':
        case 'SqsManagedSseEnabled':
          if (v !== 'true' && v !== 'false')
            throw sqsError('InvalidAttributeValue', `Invalid value for the parameter ${key}.`);
          if ((key === 'ContentBasedDeduplication' || key === 'FifoQueue') && !fifo && v === 'true') {
            throw sqsError('InvalidAttributeName', `Unknown Attribute ${key}.`);
          }
          out[key] = v;
          break;
        case 'DeduplicationScope':
        case 'FifoThroughputLimit':
          if (!fifo) throw sqsError('InvalidAttributeName', `Unknown Attribute ${key}.`);
          out[key] = v;
          break;
        case 'RedrivePolicy': {
          if (v === '') break;
          let parsed: { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
          try {
            parsed = JSON.parse(v);
          } catch {
            throw sqsError(
              'InvalidAttributeValue',
              'Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.',
            );
          }
          const mrc = Number(parsed.maxReceiveCount);
          if (
            typeof parsed.deadLetterTargetArn !== 'string' ||
            !Number.isInteger(mrc) ||
            mrc < 1 ||
            mrc > 1000
          ) {
            throw sqsError(
              'InvalidAttributeValue',
              'Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.',
            );
          }
          const dlqName = parsed.deadLetterTargetArn.split(':').pop() ?? '';
          if (dlqName.endsWith('.fifo') !== fifo) {
            throw sqsError(
              'InvalidAttributeValue',
              'Invalid value for the parameter RedrivePolicy. Reason: Dead-letter target must be of the same type (standard or FIFO) as the source queue.',
            );
          }
          out[key] = JSON.stringify({
            deadLetterTargetArn: parsed.deadLetterTargetArn,
            maxReceiveCount: mrc,
          });
          break;
        }
        case 'CreatedTimestamp':
        case 'LastModifiedTimestamp':
        case 'RedriveAllowPolicy':
        case 'Policy':
        case 'KmsMasterKeyId':
        case 'KmsDataKeyReusePeriodSeconds':
          out[key] = v;
          break;
        default:
          throw sqsError('InvalidAttributeName', `Unknown Attribute ${key}.`);
      }
    }
    return out;
  }

  private createQueueInternal(
    name: string,
    attrs: Record<string, string>,
    tags: Record<string, string>,
  ): QueueState {
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name.replace(/\.fifo$/, '')) || name.length > 80) {
      throw invalidParameter(
        'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      );
    }
    const fifo = attrs.FifoQueue === 'true';
    if (name.endsWith('.fifo') && !fifo) {
      throw invalidParameter('The name of a FIFO queue can only be set when FifoQueue is true.');
    }
    const normalized = this.normalizeAttributes(
      name,
      { ...this.defaultAttributes(name, fifo), ...attrs },
      false,
    );
    const ts = this.epochSeconds();
    const state: QueueState = {
      name,
      attributes: { ...normalized, CreatedTimestamp: ts, LastModifiedTimestamp: ts },
      tags: { ...tags },
      messages: [],
      dedup: {},
      nextSequence: '18000000000000000000',
      moveTasks: [],
    };
    this.queues.set(name, state);
    this.deleted.delete(name);
    this.markDirty(name);
    return state;
  }

  private wireCreateQueue(input: Record<string, unknown>): { QueueUrl: string } {
    const name = str(input.QueueName, 'QueueName');
    const attrs = { ...((input.Attributes ?? {}) as Record<string, string>) };
    const tags = (input.tags ?? input.Tags ?? {}) as Record<string, string>;
    const existing = this.queues.get(name);
    if (existing) {
      // Idempotent when the given attributes match; QueueNameExists otherwise (as SQS).
      const fifo = existing.attributes.FifoQueue === 'true';
      const wanted = this.normalizeAttributes(
        name,
        { ...this.defaultAttributes(name, fifo), ...attrs },
        false,
      );
      for (const [k, v] of Object.entries(wanted)) {
        if (k in attrs && existing.attributes[k] !== v) {
          throw sqsError(
            'QueueNameExists',
            `A queue already exists with the same name and a different value for attribute ${k}`,
            'QueueAlreadyExists',
          );
        }
      }
      return { QueueUrl: this.queueUrl(name) };
    }
    this.createQueueInternal(name, attrs, tags);
    return { QueueUrl: this.queueUrl(name) };
  }

  private getQueue(urlOrName: string): QueueState {
    const q = this.queues.get(nameFromUrlOrName(urlOrName));
    if (!q) throw queueDoesNotExist();
    return q;
  }

  private queueByArn(arn: string): QueueState {
    const parts = arn.split(':');
    const name = parts[5];
    if (parts.length !== 6 || parts[2] !== 'sqs' || !name) {
      throw invalidParameter(`Value ${arn} for parameter SourceArn is invalid.`);
    }
    const q = this.queues.get(name);
    if (!q) throw sqsError('ResourceNotFoundException', 'The resource that you requested does not exist.');
    return q;
  }

  private redriveOf(q: QueueState): { deadLetterTargetArn: string; maxReceiveCount: number } | undefined {
    const raw = q.attributes.RedrivePolicy;
    if (!raw) return undefined;
    return JSON.parse(raw) as { deadLetterTargetArn: string; maxReceiveCount: number };
  }

  private isFifo(q: QueueState): boolean {
    return q.attributes.FifoQueue === 'true';
  }

  /** The queue's pending journal changes; undefined when nothing is persisted. */
  private changesOf(q: QueueState): QueueChanges | undefined {
    if (!this.stateDir) return undefined;
    let changes = this.changes.get(q.name);
    if (!changes) {
      changes = { purged: false, messages: new Map(), dedup: [] };
      this.changes.set(q.name, changes);
    }
    return changes;
  }

  private messageChanged(q: QueueState, m: StoredMessage): void {
    this.changesOf(q)?.messages.set(m.messageId, m);
  }

  private messageRemoved(q: QueueState, m: StoredMessage): void {
    this.changesOf(q)?.messages.set(m.messageId, null);
  }

  private markDirty(name: string): void {
    if (!this.stateDir) return;
    this.dirty.add(name);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (!this.stateDir || this.flushTimer || this.closed) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush().catch((err) => console.error('[local-aws] failed to persist SQS state', err));
    }, this.debounceMs);
    this.flushTimer.unref?.();
  }

  private afterMutation(q: QueueState): void {
    this.markDirty(q.name);
    this.notify(q.name);
  }

  private notify(name: string): void {
    const set = this.waiters.get(name);
    if (!set) return;
    this.waiters.delete(name);
    for (const w of set) w();
  }

  private waitForChange(name: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(name);
      if (!set) {
        set = new Set();
        this.waiters.set(name, set);
      }
      const done = () => {
        clearTimeout(timer);
        this.waiters.get(name)?.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Drops messages past the retention period and expired deduplication entries. */
  private expire(q: QueueState): void {
    const now = this.now();
    const due = this.nextExpiry.get(q);
    const sweep = this.nextDedupSweep.get(q);
    let changed = false;
    if (due === undefined || now >= due) {
      const retentionMs = this.retentionMs(q);
      const before = q.messages.length;
      let next = Number.POSITIVE_INFINITY;
      q.messages = q.messages.filter((m) => {
        const keep = now - m.retentionStart < retentionMs;
        if (keep) next = Math.min(next, m.retentionStart + retentionMs);
        else this.messageRemoved(q, m);
        return keep;
      });
      changed = q.messages.length !== before;
      this.nextExpiry.set(q, next);
    }
    if (sweep === undefined || now >= sweep) {
      let earliest = Number.POSITIVE_INFINITY;
      for (const id in q.dedup) {
        const e = q.dedup[id] as DedupEntry;
        if (e.expiresAt <= now) {
          delete q.dedup[id];
          changed = true;
        } else earliest = Math.min(earliest, e.expiresAt);
      }
      this.nextDedupSweep.set(q, Math.max(earliest, now + DEDUP_SWEEP_MS));
    }
    if (changed) this.markDirty(q.name);
  }

  private retentionMs(q: QueueState): number {
    return num(q.attributes.MessageRetentionPeriod, 345_600) * 1000;
  }

  /** Keeps `nextExpiry` a lower bound when a message or deduplication entry expiring at `at` is added. */
  private expiresAt(q: QueueState, at: number): void {
    const due = this.nextExpiry.get(q);
    if (due !== undefined && at < due) this.nextExpiry.set(q, at);
  }

  /** Stores a message in `q` (the one way messages enter a queue, so the expiry bound stays right). */
  private store(q: QueueState, m: StoredMessage): void {
    q.messages.push(m);
    this.messageChanged(q, m);
    this.expiresAt(q, m.retentionStart + this.retentionMs(q));
  }

  private nextSequence(q: QueueState): string {
    const n = BigInt(q.nextSequence) + 1n;
    q.nextSequence = n.toString();
    return n.toString().padStart(20, '0');
  }

  private enqueue(q: QueueState, input: SendMessageInput): SendMessageOutput {
    this.expire(q);
    const body = input.MessageBody;
    if (typeof body !== 'string' || body.length === 0) throw missingParameter('MessageBody');
    if (INVALID_BODY_CHARS.test(body)) {
      throw sqsError(
        'InvalidMessageContents',
        'Invalid characters found. Valid values are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
        'InvalidMessageContents',
      );
    }
    const size = Buffer.byteLength(body, 'utf8') + validateAttributes(input.MessageAttributes);
    const maxSize = num(q.attributes.MaximumMessageSize, DEFAULT_MAX_MESSAGE_SIZE);
    if (size > maxSize) {
      throw invalidParameter(
        `One or more parameters are invalid. Reason: Message must be shorter than ${maxSize} bytes.`,
      );
    }
    const fifo = this.isFifo(q);
    const now = this.now();
    let delaySeconds = num(q.attributes.DelaySeconds, 0);
    if (input.DelaySeconds !== undefined) {
      if (fifo && input.DelaySeconds !== 0) {
        throw invalidParameter(
          `Value ${input.DelaySeconds} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.`,
        );
      }
      if (!Number.isInteger(input.DelaySeconds) || input.DelaySeconds < 0 || input.DelaySeconds > 900) {
        throw invalidParameter(
          `Value ${input.DelaySeconds} for parameter DelaySeconds is invalid. Reason: must be between 0 and 900, if provided.`,
        );
      }
      delaySeconds = input.DelaySeconds;
    }
    let groupId: string | undefined;
    let dedupId: string | undefined;
    if (fifo) {
      if (!input.MessageGroupId) throw missingParameter('MessageGroupId');
      groupId = input.MessageGroupId;
      dedupId = input.MessageDeduplicationId;
      if (!dedupId) {
        if (q.attributes.ContentBasedDeduplication !== 'true') {
          throw invalidParameter(
            'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
          );
        }
        dedupId = sha256Hex(body);
      }
      if (!/^[\x21-\x7E]{1,128}$/.test(dedupId) || !/^[\x21-\x7E]{1,128}$/.test(groupId)) {
        throw invalidParameter(
          'MessageGroupId and MessageDeduplicationId must be 1-128 printable ASCII characters.',
        );
      }
    } else {
      if (input.MessageDeduplicationId !== undefined) {
        throw invalidParameter(
          'The request include parameter that is not valid for this queue type. Reason: MessageDeduplicationId is supported only for FIFO queues.',
        );
      }
      groupId = input.MessageGroupId; // fair queues: accepted, used only for reporting
    }
    const md5Body = md5Hex(Buffer.from(body, 'utf8'));
    const attrs =
      input.MessageAttributes && Object.keys(input.MessageAttributes).length > 0
        ? input.MessageAttributes
        : undefined;
    const md5Attrs = attrs ? md5OfMessageAttributes(attrs) : undefined;
    const traceAttr = input.MessageSystemAttributes?.AWSTraceHeader;
    const md5Sys =
      input.MessageSystemAttributes && Object.keys(input.MessageSystemAttributes).length > 0
        ? md5OfMessageAttributes(input.MessageSystemAttributes)
        : undefined;

    if (fifo && dedupId !== undefined) {
      const dedupKey =
        q.attributes.DeduplicationScope === 'messageGroup' ? `${groupId}\u0000${dedupId}` : dedupId;
      const seen = q.dedup[dedupKey];
      if (seen && seen.expiresAt > now) {
        // Accepted, not enqueued again (SQS answers success with the original message id).
        const dup: SendMessageOutput = { MessageId: seen.messageId, MD5OfMessageBody: md5Body };
        if (md5Attrs) dup.MD5OfMessageAttributes = md5Attrs;
        if (md5Sys) dup.MD5OfMessageSystemAttributes = md5Sys;
        if (seen.sequenceNumber) dup.SequenceNumber = seen.sequenceNumber;
        return dup;
      }
    }

    const messageId = randomUUID();
    const msg: StoredMessage = {
      messageId,
      body,
      md5OfBody: md5Body,
      sentTimestamp: now,
      retentionStart: now,
      visibleAt: now + delaySeconds * 1000,
      receiveCount: 0,
    };
    if (attrs) {
      msg.messageAttributes = attrs;
      msg.md5OfMessageAttributes = md5Attrs;
    }
    if (traceAttr?.StringValue) msg.awsTraceHeader = traceAttr.StringValue;
    if (groupId !== undefined) msg.groupId = groupId;
    const out: SendMessageOutput = { MessageId: messageId, MD5OfMessageBody: md5Body };
    if (md5Attrs) out.MD5OfMessageAttributes = md5Attrs;
    if (md5Sys) out.MD5OfMessageSystemAttributes = md5Sys;
    if (fifo) {
      msg.dedupId = dedupId;
      msg.sequenceNumber = this.nextSequence(q);
      out.SequenceNumber = msg.sequenceNumber;
      const dedupKey =
        q.attributes.DeduplicationScope === 'messageGroup'
          ? `${groupId}\u0000${dedupId}`
          : (dedupId as string);
      q.dedup[dedupKey] = { expiresAt: now + DEDUP_WINDOW_MS, messageId, sequenceNumber: msg.sequenceNumber };
      this.changesOf(q)?.dedup.push([dedupKey, q.dedup[dedupKey] as DedupEntry]);
      // The first entry of a queue with none sets the sweep; later ones expire after those already there.
      if (this.nextDedupSweep.get(q) === Number.POSITIVE_INFINITY)
        this.nextDedupSweep.set(q, now + DEDUP_WINDOW_MS);
    }
    this.store(q, msg);
    return out;
  }

  private wireSendBatch(input: Record<string, unknown>): unknown {
    const q = this.getQueue(str(input.QueueUrl, 'QueueUrl'));
    const entries = this.checkBatch(input.Entries);
    let total = 0;
    for (const e of entries) total += Buffer.byteLength(String(e.MessageBody ?? ''), 'utf8');
    const maxSize = num(q.attributes.MaximumMessageSize, DEFAULT_MAX_MESSAGE_SIZE);
    if (total > maxSize) {
      throw sqsError(
        'BatchRequestTooLong',
        `Batch requests cannot be longer than ${maxSize} bytes.`,
        'AWS.SimpleQueueService.BatchRequestTooLong',
      );
    }
    const Successful: unknown[] = [];
    const Failed: unknown[] = [];
    for (const e of entries) {
      try {
        const out = this.enqueue(q, e as unknown as SendMessageInput);
        Successful.push({ Id: e.Id, ...out });
      } catch (err) {
        if (!(err instanceof AwsServiceError)) throw err;
        Failed.push({ Id: e.Id, SenderFault: true, Code: err.code, Message: err.message });
      }
    }
    this.afterMutation(q);
    return { Successful, Failed };
  }

  private checkBatch(raw: unknown): Array<Record<string, unknown>> {
    const entries = Array.isArray(raw) ? (raw as Array<Record<string, unknown>>) : [];
    if (entries.length === 0) {
      throw sqsError(
        'EmptyBatchRequest',
        'There should be at least one SendMessageBatchRequestEntry in the request.',
        'AWS.SimpleQueueService.EmptyBatchRequest',
      );
    }
    if (entries.length > 10) {
      throw sqsError(
        'TooManyEntriesInBatchRequest',
        `Maximum number of entries per request are 10. You have sent ${entries.length}.`,
        'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
      );
    }
    const ids = new Set<string>();
    for (const e of entries) {
      const id = e.Id;
      if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,80}$/.test(id)) {
        throw sqsError(
          'InvalidBatchEntryId',
          'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
          'AWS.SimpleQueueService.InvalidBatchEntryId',
        );
      }
      if (ids.has(id)) {
        throw sqsError(
          'BatchEntryIdsNotDistinct',
          `Id ${id} repeated.`,
          'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
        );
      }
      ids.add(id);
    }
    return entries;
  }

  private wireBatch(
    input: Record<string, unknown>,
    op: (q: QueueState, e: Record<string, unknown>) => void,
  ): unknown {
    const q = this.getQueue(str(input.QueueUrl, 'QueueUrl'));
    const entries = this.checkBatch(input.Entries);
    const Successful: unknown[] = [];
    const Failed: unknown[] = [];
    for (const e of entries) {
      try {
        op(q, e);
        Successful.push({ Id: e.Id });
      } catch (err) {
        if (!(err instanceof AwsServiceError)) throw err;
        Failed.push({ Id: e.Id, SenderFault: true, Code: err.code, Message: err.message });
      }
    }
    this.afterMutation(q);
    return { Successful, Failed };
  }

  private receiveFrom(q: QueueState, input: ReceiveMessageInput): ReceivedMessage[] {
    this.expire(q);
    const max = input.MaxNumberOfMessages ?? 1;
    if (!Number.isInteger(max) || max < 1 || max > 10) {
      throw invalidParameter(
        `Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`,
      );
    }
    const visibility = input.VisibilityTimeout ?? num(q.attributes.VisibilityTimeout, 30);
    if (!Number.isInteger(visibility) || visibility < 0 || visibility > MAX_VISIBILITY_SECONDS) {
      throw invalidParameter(
        `Value ${visibility} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.`,
      );
    }
    const fifo = this.isFifo(q);
    const now = this.now();
    const redrive = this.redriveOf(q);
    const dlq = redrive ? this.queues.get(redrive.deadLetterTargetArn.split(':').pop() ?? '') : undefined;
    // FIFO: a group with a message in flight (or not yet available) delivers nothing further.
    const blocked = new Set<string>();
    if (fifo) {
      for (const m of q.messages) {
        if (m.visibleAt > now && m.groupId !== undefined) blocked.add(m.groupId);
      }
    }
    const picked: StoredMessage[] = [];
    const movedToDlq: StoredMessage[] = [];
    for (const m of q.messages) {
      if (picked.length >= max) break;
      if (m.visibleAt > now) continue;
      if (fifo && m.groupId !== undefined && blocked.has(m.groupId)) continue;
      if (redrive && dlq && m.receiveCount >= redrive.maxReceiveCount) {
        // This receive would exceed maxReceiveCount: SQS moves the message to the DLQ instead of returning it.
        movedToDlq.push(m);
        continue;
      }
      picked.push(m);
    }
    if (movedToDlq.length > 0 && dlq) {
      const moved = new Set(movedToDlq);
      q.messages = q.messages.filter((m) => !moved.has(m));
      for (const m of movedToDlq) {
        this.messageRemoved(q, m);
        this.moveToDeadLetterQueue(q, dlq, m);
      }
      this.afterMutation(dlq);
      this.markDirty(q.name);
    }
    if (picked.length === 0) return [];
    const wantSys = new Set([...(input.AttributeNames ?? []), ...(input.MessageSystemAttributeNames ?? [])]);
    const wantAll = wantSys.has('All');
    const wantAttr = input.MessageAttributeNames ?? [];
    const out: ReceivedMessage[] = [];
    for (const m of picked) {
      m.receiveCount += 1;
      m.firstReceiveTimestamp ??= now;
      m.receiptNonce = randomBytes(12).toString('hex');
      m.visibleAt = now + visibility * 1000;
      this.messageChanged(q, m);
      const msg: ReceivedMessage = {
        MessageId: m.messageId,
        ReceiptHandle: encodeReceipt(q.name, m.messageId, m.receiptNonce),
        MD5OfBody: m.md5OfBody,
        Body: m.body,
      };
      const sys = this.systemAttributes(m);
      const attrs: Record<string, string> = {};
      for (const [k, v] of Object.entries(sys)) if (wantAll || wantSys.has(k)) attrs[k] = v;
      if (Object.keys(attrs).length > 0) msg.Attributes = attrs;
      if (m.messageAttributes && wantAttr.length > 0) {
        const selected: Record<string, WireMessageAttributeValue> = {};
        for (const [name, v] of Object.entries(m.messageAttributes)) {
          if (
            wantAttr.some(
              (w) =>
                w === 'All' ||
                w === '.*' ||
                w === name ||
                (w.endsWith('.*') && name.startsWith(w.slice(0, -1))),
            )
          ) {
            selected[name] = v;
          }
        }
        if (Object.keys(selected).length > 0) {
          msg.MessageAttributes = selected;
          msg.MD5OfMessageAttributes = md5OfMessageAttributes(selected);
        }
      }
      out.push(msg);
    }
    this.markDirty(q.name);
    return out;
  }

  /** SQS system attributes for a stored message (all values strings, as on the wire). */
  private systemAttributes(m: StoredMessage): Record<string, string> {
    const a: Record<string, string> = {
      SenderId: this.accountId,
      SentTimestamp: String(m.sentTimestamp),
      ApproximateReceiveCount: String(m.receiveCount),
      ApproximateFirstReceiveTimestamp: String(m.firstReceiveTimestamp ?? this.now()),
    };
    if (m.sequenceNumber !== undefined) a.SequenceNumber = m.sequenceNumber;
    if (m.dedupId !== undefined) a.MessageDeduplicationId = m.dedupId;
    if (m.groupId !== undefined) a.MessageGroupId = m.groupId;
    if (m.awsTraceHeader !== undefined) a.AWSTraceHeader = m.awsTraceHeader;
    if (m.deadLetterQueueSourceArn !== undefined) a.DeadLetterQueueSourceArn = m.deadLetterQueueSourceArn;
    return a;
  }

  private moveToDeadLetterQueue(source: QueueState, dlq: QueueState, m: StoredMessage): void {
    const now = this.now();
    const moved: StoredMessage = {
      ...m,
      visibleAt: now,
      receiptNonce: undefined,
      deadLetterQueueSourceArn: this.queueArn(source.name),
    };
    if (this.isFifo(dlq)) {
      // SQS replaces the deduplication id with the message id so the DLQ's dedup cannot drop distinct messages,
      // and the retention period restarts in a FIFO DLQ (it is kept for a standard DLQ).
      moved.dedupId = m.messageId;
      moved.sequenceNumber = this.nextSequence(dlq);
      moved.retentionStart = now;
    }
    this.store(dlq, moved);
  }

  private startMessageMoveTask(input: Record<string, unknown>): { TaskHandle: string } {
    const sourceArn = str(input.SourceArn, 'SourceArn');
    const source = this.queueByArn(sourceArn);
    const sources = [...this.queues.values()].filter(
      (s) => this.redriveOf(s)?.deadLetterTargetArn === sourceArn,
    );
    if (sources.length === 0) {
      throw invalidParameter('Source queue must be configured as a Dead Letter Queue.');
    }
    if (source.moveTasks.some((t) => t.status === 'RUNNING')) {
      throw sqsError(
        'UnsupportedOperation',
        'There is already a task running. Only one active task is allowed for a source queue arn at a given time.',
        'AWS.SimpleQueueService.UnsupportedOperation',
      );
    }
    const destinationArn =
      typeof input.DestinationArn === 'string' && input.DestinationArn ? input.DestinationArn : undefined;
    const destination = destinationArn ? this.queueByArn(destinationArn) : undefined;
    if (destination && this.isFifo(destination) !== this.isFifo(source)) {
      throw invalidParameter('The source queue and destination queue must be of the same queue type.');
    }
    const now = this.now();
    const task: MoveTask = {
      taskHandle: Buffer.from(JSON.stringify({ taskId: randomUUID(), sourceArn })).toString('base64'),
      status: 'RUNNING',
      sourceArn,
      approximateNumberOfMessagesMoved: 0,
      approximateNumberOfMessagesToMove: 0,
      startedTimestamp: now,
    };
    if (destinationArn) task.destinationArn = destinationArn;
    if (typeof input.MaxNumberOfMessagesPerSecond === 'number')
      task.maxNumberOfMessagesPerSecond = input.MaxNumberOfMessagesPerSecond;
    source.moveTasks.push(task);
    if (source.moveTasks.length > 10) source.moveTasks.shift();
    // Moves every currently visible DLQ message (oldest first) before answering; in-flight ones stay.
    this.expire(source);
    const movable = source.messages.filter((m) => m.visibleAt <= now);
    task.approximateNumberOfMessagesToMove = movable.length;
    const touched = new Set<QueueState>([source]);
    const remaining: StoredMessage[] = [];
    for (const m of source.messages) {
      if (m.visibleAt > now) {
        remaining.push(m);
        continue;
      }
      this.messageRemoved(source, m); // pushed back below when it does not move
      const target =
        destination ??
        (m.deadLetterQueueSourceArn
          ? this.queues.get(m.deadLetterQueueSourceArn.split(':').pop() ?? '')
          : undefined);
      if (!target) {
        remaining.push(m);
        this.messageChanged(source, m);
        task.failureReason = 'AWS.SimpleQueueService.NonExistentQueue';
        continue;
      }
      if (this.isFifo(target) !== this.isFifo(source)) {
        remaining.push(m);
        this.messageChanged(source, m);
        task.failureReason = 'Destination queue must be of the same type as the source queue.';
        continue;
      }
      // A redriven message is a new message in the destination (new id, receive count 0, retention restarts).
      const moved: StoredMessage = {
        messageId: randomUUID(),
        body: m.body,
        md5OfBody: m.md5OfBody,
        sentTimestamp: now,
        retentionStart: now,
        visibleAt: now,
        receiveCount: 0,
      };
      if (m.messageAttributes) {
        moved.messageAttributes = m.messageAttributes;
        moved.md5OfMessageAttributes = m.md5OfMessageAttributes;
      }
      if (m.awsTraceHeader) moved.awsTraceHeader = m.awsTraceHeader;
      if (this.isFifo(target)) {
        moved.groupId = m.groupId;
        moved.dedupId = m.dedupId ?? m.messageId;
        moved.sequenceNumber = this.nextSequence(target);
      } else if (m.groupId !== undefined) {
        moved.groupId = m.groupId;
      }
      this.store(target, moved);
      touched.add(target);
      task.approximateNumberOfMessagesMoved++;
    }
    source.messages = remaining;
    task.status = task.failureReason ? 'FAILED' : 'COMPLETED';
    for (const t of touched) this.afterMutation(t);
    return { TaskHandle: task.taskHandle };
  }

  /** Finds the message a receipt handle refers to; `current` tells whether it is the latest receive's handle. */
  private resolveReceipt(q: QueueState, handle: string): { m: StoredMessage | undefined; current: boolean } {
    const decoded = decodeReceipt(handle);
    if (!decoded || decoded[0] !== q.name) {
      throw sqsError(
        'ReceiptHandleIsInvalid',
        `The input receipt handle "${handle}" is not a valid receipt handle.`,
      );
    }
    const m = q.messages.find((x) => x.messageId === decoded[1]);
    return { m, current: m !== undefined && m.receiptNonce === decoded[2] };
  }

  private deleteByReceipt(q: QueueState, handle: string): void {
    const { m, current } = this.resolveReceipt(q, handle);
    const fifo = this.isFifo(q);
    if (!m) return; // already deleted: succeeds
    if (fifo) {
      if (!current || m.visibleAt <= this.now()) {
        // FIFO receipt handles expire with the visibility timeout.
        throw invalidParameter(
          `Value ${handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`,
        );
      }
    } else if (!current) {
      return; // stale handle (message received again since): request succeeds, message is not deleted
    }
    // In place: a copy of the whole backlog at every delete made draining a deep queue quadratic.
    q.messages.splice(q.messages.indexOf(m), 1);
    this.messageRemoved(q, m);
  }

  private changeVisibility(q: QueueState, handle: string, seconds: number): void {
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_VISIBILITY_SECONDS) {
      throw invalidParameter(
        `Value ${seconds} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.`,
      );
    }
    const { m, current } = this.resolveReceipt(q, handle);
    const now = this.now();
    if (!m || !current || m.visibleAt <= now) {
      if (m && !current && this.isFifo(q)) {
        throw invalidParameter(
          `Value ${handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`,
        );
      }
      throw sqsError(
        'MessageNotInflight',
        'Value for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.',
        'AWS.SimpleQueueService.MessageNotInflight',
      );
    }
    m.visibleAt = now + seconds * 1000;
    this.messageChanged(q, m);
  }
}

const KNOWN_QUEUE_ATTRIBUTES = new Set([
  'All',
  'Policy',
  'VisibilityTimeout',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
  'ApproximateNumberOfMessagesDelayed',
  'DelaySeconds',
  'ReceiveMessageWaitTimeSeconds',
  'RedrivePolicy',
  'FifoQueue',
  'ContentBasedDeduplication',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'DeduplicationScope',
  'FifoThroughputLimit',
  'RedriveAllowPolicy',
  'SqsManagedSseEnabled',
]);

function str(v: unknown, name: string): string {
  if (typeof v !== 'string' || v === '') throw missingParameter(name);
  return v;
}

function int(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw missingParameter(name);
  return v;
}

/** A queue's journal lines for `changes`, then its small state (attributes, sequence, move tasks) as it is now. */
function journalLines(q: QueueState, changes: QueueChanges | undefined): string {
  const lines: JournalLine[] = [];
  if (changes?.purged) lines.push({ purge: true });
  for (const [id, m] of changes?.messages ?? []) lines.push(m ? { put: m } : { del: id });
  for (const entry of changes?.dedup ?? []) lines.push({ dedup: entry });
  const { messages: _messages, dedup: _dedup, ...meta } = q;
  lines.push({ meta });
  return `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`;
}

/**
 * Applies a journal to the snapshot it follows. A message keeps its place when written again and a new one goes
 * last, as it entered the queue. A last line cut short by a crash was never acknowledged as written: it stops the
 * replay. Deduplication entries past their window are dropped by the queue's next expiry scan.
 */
function replayJournal(state: QueueState, journal: string): void {
  const messages = new Map(state.messages.map((m) => [m.messageId, m]));
  for (const text of journal.split('\n')) {
    if (!text) continue;
    let line: JournalLine;
    try {
      line = JSON.parse(text) as JournalLine;
    } catch {
      break;
    }
    if ('put' in line) messages.set(line.put.messageId, line.put);
    else if ('del' in line) messages.delete(line.del);
    else if ('purge' in line) messages.clear();
    else if ('dedup' in line) state.dedup[line.dedup[0]] = line.dedup[1];
    else Object.assign(state, line.meta);
  }
  state.messages = [...messages.values()];
}
