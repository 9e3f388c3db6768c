import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { HandlerName, TableSpec } from '../lambdas/wiring.js';

/**
 * Counts what the local hub asks of each AWS service, in the units AWS bills (docs/cost.md): DynamoDB read and
 * write request units per table and per GSI, API Gateway requests, Lambda invocations and GB-seconds, EventBridge
 * events (64 KB chunks), SQS requests (64 KB chunks, FIFO apart), Step Functions state transitions and the bytes
 * the handlers log. The local runtime feeds it only when `startHub({ meter })` is given one (the bench does), so
 * tests pay nothing for it.
 *
 * DynamoDB: dynalite reports consumed read capacity itself (with `ReturnConsumedCapacity`), but not the writes
 * into global secondary indexes. Writes therefore go through `startDynamoDbMeter`, a proxy in front of dynalite
 * that reads the item before and after each write and applies DynamoDB's own rules: a table write costs
 * ceil(max(old, new) / 1 KB) units (a failed condition too); each GSI whose key or projected attributes change
 * costs ceil(projected size / 1 KB), twice when the index key moves (delete + put), nothing when neither changes.
 */
export interface LambdaUsage {
  invocations: number;
  /** Σ of each invocation's duration rounded up to 1 ms (Lambda's billing granularity). */
  billedMs: number;
  gbSeconds: number;
}

export interface MeterReading {
  dynamodb: {
    /** Read request units by table, and by `table/index` for index queries. */
    readUnits: Record<string, number>;
    /**
     * Read request units by kind of item read (`table pkPrefix/skPrefix` of a GetItem's key, `table pkPrefix/*` of a
     * Query's partition, `table batch` for BatchGetItem): which reads the bill is made of (docs/cost.md).
     */
    readUnitsByItem: Record<string, number>;
    /** Write request units by table, and by `table/index` for the copies into each GSI. */
    writeUnits: Record<string, number>;
    /** Table write units by kind of item (`table pkPrefix/skPrefix`, the text before the first `#`). */
    writeUnitsByItem: Record<string, number>;
    /**
     * Table writes of an item over 1 KB (billed more than one unit), by kind of item: how many and the largest
     * item, so the bench shows which items grow past a write unit (docs/cost.md).
     */
    writesOver1Kb: Record<string, { writes: number; largestBytes: number }>;
    requests: Record<string, number>;
    /**
     * Requests by operation, table and kind of item (`GetItem table pkPrefix/skPrefix`; a Query's partition kind;
     * `batch` for the batch operations): which look-ups and writes a flow makes, one by one (docs/benchmarks.md).
     */
    requestsByItem: Record<string, number>;
  };
  apiGatewayRequests: number;
  lambda: Partial<Record<HandlerName, LambdaUsage>>;
  eventBridge: { putEventsRequests: number; events: number; byType: Record<string, number> };
  /** Billable requests (64 KB chunks) by `fifo|standard` and operation. */
  sqs: Record<string, number>;
  stepFunctions: { executions: number; transitions: number };
  logs: { bytes: number; lines: number };
}

const CHUNK = 64 * 1024;
const chunks = (bytes: number) => Math.max(1, Math.ceil(bytes / CHUNK));
const add = (record: Record<string, number>, key: string, value: number) => {
  record[key] = (record[key] ?? 0) + value;
};

export class AwsMeter {
  private reading: MeterReading = AwsMeter.empty();
  private releaseLogs: (() => void) | undefined;

  static empty(): MeterReading {
    return {
      dynamodb: {
        readUnits: {},
        readUnitsByItem: {},
        writeUnits: {},
        writeUnitsByItem: {},
        writesOver1Kb: {},
        requests: {},
        requestsByItem: {},
      },
      apiGatewayRequests: 0,
      lambda: {},
      eventBridge: { putEventsRequests: 0, events: 0, byType: {} },
      sqs: {},
      stepFunctions: { executions: 0, transitions: 0 },
      logs: { bytes: 0, lines: 0 },
    };
  }

  reset(): void {
    this.reading = AwsMeter.empty();
  }

  read(): MeterReading {
    return structuredClone(this.reading);
  }

  dynamodbRequest(operation: string, table?: string, item?: string): void {
    add(this.reading.dynamodb.requests, operation, 1);
    if (table !== undefined && item !== undefined)
      add(this.reading.dynamodb.requestsByItem, `${operation} ${table} ${item}`, 1);
  }
  dynamodbRead(key: string, units: number, item?: string): void {
    add(this.reading.dynamodb.readUnits, key, units);
    if (item) add(this.reading.dynamodb.readUnitsByItem, `${key} ${item}`, units);
  }
  dynamodbWrite(key: string, units: number, item?: string, itemBytes = 0): void {
    add(this.reading.dynamodb.writeUnits, key, units);
    if (item) add(this.reading.dynamodb.writeUnitsByItem, `${key} ${item}`, units);
    if (item && itemBytes > 1024) {
      const over = (this.reading.dynamodb.writesOver1Kb[`${key} ${item}`] ??= { writes: 0, largestBytes: 0 });
      over.writes += 1;
      over.largestBytes = Math.max(over.largestBytes, itemBytes);
    }
  }

  apiRequest(): void {
    this.reading.apiGatewayRequests += 1;
  }

  lambdaInvocation(name: HandlerName, durationMs: number, memoryMb: number): void {
    const usage = (this.reading.lambda[name] ??= { invocations: 0, billedMs: 0, gbSeconds: 0 });
    const billed = Math.max(1, Math.ceil(durationMs));
    usage.invocations += 1;
    usage.billedMs += billed;
    usage.gbSeconds += (memoryMb / 1024) * (billed / 1000);
  }

  /** A PutEvents call: every entry is billed per 64 KB chunk of its size (AWS's entry-size rule). */
  putEvents(entries: readonly { DetailType?: string; Detail?: string; Source?: string }[]): void {
    this.reading.eventBridge.putEventsRequests += 1;
    for (const entry of entries) {
      const size =
        Buffer.byteLength(entry.Detail ?? '') +
        Buffer.byteLength(entry.DetailType ?? '') +
        Buffer.byteLength(entry.Source ?? '');
      this.reading.eventBridge.events += chunks(size);
      add(this.reading.eventBridge.byType, entry.DetailType ?? '?', 1);
    }
  }

  sqsRequest(queue: 'fifo' | 'standard', operation: string, payloadBytes = 0): void {
    add(this.reading.sqs, `${queue} ${operation}`, chunks(payloadBytes));
  }

  stepFunctionsExecution(): void {
    this.reading.stepFunctions.executions += 1;
  }
  stepFunctionsTransition(): void {
    this.reading.stepFunctions.transitions += 1;
  }

  /**
   * Counts (and swallows) everything written to stdout and stderr until `stopLogCapture`: what the handlers
   * would send to CloudWatch Logs. The bench prints its tables only after it stopped capturing.
   */
  captureLogs(): void {
    if (this.releaseLogs) return;
    const streams = [process.stdout, process.stderr];
    const originals = streams.map((stream) => stream.write);
    const meter = this;
    for (const stream of streams) {
      stream.write = function (chunk: unknown, ...rest: unknown[]): boolean {
        const text =
          typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
        meter.reading.logs.bytes += Buffer.byteLength(text);
        meter.reading.logs.lines += text.split('\n').filter((line) => line.trim()).length;
        const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
        callback?.();
        return true;
      } as typeof stream.write;
    }
    this.releaseLogs = () => {
      streams.forEach((stream, i) => {
        stream.write = originals[i] as typeof stream.write;
      });
    };
  }

  stopLogCapture(): void {
    this.releaseLogs?.();
    this.releaseLogs = undefined;
  }

  /** Lambda's platform lines (START, END, REPORT in the JSON log format), logged once per invocation. */
  platformLogBytes(durationMs: number, memoryMb: number): void {
    const requestId = '8f5c1a2e-3b4d-4e6f-9a1b-2c3d4e5f6a7b';
    const time = new Date(0).toISOString();
    const lines = [
      { time, type: 'platform.start', record: { requestId, version: '$LATEST' } },
      {
        time,
        type: 'platform.report',
        record: {
          requestId,
          metrics: {
            durationMs: Number(durationMs.toFixed(3)),
            billedDurationMs: Math.ceil(durationMs),
            memorySizeMB: memoryMb,
            maxMemoryUsedMB: Math.round(memoryMb / 2),
          },
          status: 'success',
        },
      },
    ];
    // END is folded into platform.report in the JSON format; the function name is the log group, not a field.
    for (const line of lines) {
      this.reading.logs.bytes += Buffer.byteLength(`${JSON.stringify(line)}\n`);
      this.reading.logs.lines += 1;
    }
  }
}

type AttributeValue = Record<string, unknown>;
type Item = Record<string, AttributeValue>;

export interface IndexShape {
  name: string;
  keys: string[];
  projection: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
  include: readonly string[];
}

const require = createRequire(import.meta.url);
// dynalite's own item-size function (DynamoDB's size rules: names + values, numbers by digits, …).
const { itemSize } = require('dynalite/db/index.js') as { itemSize: (item: Item) => number };

function indexShapes(
  tables: Record<string, TableSpec>,
): Map<string, { keys: string[]; indexes: IndexShape[] }> {
  const shapes = new Map<string, { keys: string[]; indexes: IndexShape[] }>();
  for (const [name, spec] of Object.entries(tables)) {
    const keys = [spec.partitionKey, ...(spec.sortKey ? [spec.sortKey] : [])];
    shapes.set(name, {
      keys,
      indexes: (spec.globalSecondaryIndexes ?? []).map((gsi) => ({
        name: gsi.indexName,
        keys: [gsi.partitionKey, ...(gsi.sortKey ? [gsi.sortKey] : [])],
        projection: gsi.projection?.type ?? 'ALL',
        include: gsi.projection?.type === 'INCLUDE' ? gsi.projection.attributes : [],
      })),
    });
  }
  return shapes;
}

function projected(item: Item, tableKeys: string[], index: IndexShape): Item | undefined {
  if (!index.keys.every((key) => item[key] !== undefined)) return undefined; // sparse: not in the index
  if (index.projection === 'ALL') return item;
  const names = new Set([...tableKeys, ...index.keys, ...index.include]);
  return Object.fromEntries(Object.entries(item).filter(([name]) => names.has(name)));
}

const units = (item: Item | undefined, per: number) =>
  item ? Math.max(1, Math.ceil(itemSize(item) / per)) : 0;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Write units the GSIs of one table spend on one item changing from `before` to `after`. */
export function indexWriteUnits(
  tableKeys: string[],
  indexes: readonly IndexShape[],
  before: Item | undefined,
  after: Item | undefined,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const index of indexes) {
    const old = before ? projected(before, tableKeys, index) : undefined;
    const next = after ? projected(after, tableKeys, index) : undefined;
    let spent = 0;
    if (old && next) {
      const keyMoved = index.keys.some((key) => !same(old[key], next[key]));
      if (keyMoved) spent = units(old, 1024) + units(next, 1024);
      else if (!same(old, next)) spent = Math.max(units(old, 1024), units(next, 1024));
    } else spent = units(old, 1024) + units(next, 1024);
    if (spent > 0) out[index.name] = spent;
  }
  return out;
}

/**
 * A metering proxy in front of dynalite. Reads are forwarded with `ReturnConsumedCapacity: INDEXES` (dynalite
 * computes read units as DynamoDB does); writes are bracketed by a consistent read of the item before and after
 * (not counted), serialised per item so a concurrent write cannot blur the two images.
 */
export async function startDynamoDbMeter(options: {
  target: string;
  host: string;
  meter: AwsMeter;
  tables: Record<string, TableSpec>;
}): Promise<{ endpoint: string; close(): Promise<void> }> {
  const shapes = indexShapes(options.tables);
  const target = new URL(options.target);
  const locks = new Map<string, Promise<unknown>>();

  const call = (operation: string, body: unknown): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const payload = JSON.stringify(body);
      const req = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: 'POST',
          path: '/',
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'x-amz-target': `DynamoDB_20120810.${operation}`,
            'content-length': Buffer.byteLength(payload),
            authorization:
              'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
            'x-amz-date': '20260101T000000Z',
          },
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 500, text: Buffer.concat(parts).toString() }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });

  const keyOf = (table: string, item: Item): Item | undefined => {
    const shape = shapes.get(table);
    if (!shape || !shape.keys.every((k) => item[k] !== undefined)) return undefined;
    return Object.fromEntries(shape.keys.map((k) => [k, item[k] as AttributeValue]));
  };
  const getItem = async (table: string, key: Item): Promise<Item | undefined> => {
    const out = await call('GetItem', { TableName: table, Key: key, ConsistentRead: true });
    return out.status === 200 ? ((JSON.parse(out.text) as { Item?: Item }).Item ?? undefined) : undefined;
  };
  const withLock = async <T>(id: string, work: () => Promise<T>): Promise<T> => {
    const previous = locks.get(id) ?? Promise.resolve();
    const run = previous.then(work, work);
    const settled = run.catch(() => undefined);
    locks.set(id, settled);
    try {
      return await run;
    } finally {
      if (locks.get(id) === settled) locks.delete(id);
    }
  };

  const kindOf = itemKind;
  const charge = (
    table: string,
    before: Item | undefined,
    after: Item | undefined,
    ok: boolean,
    requestItem?: Item,
  ) => {
    // A failed condition is billed too: the units of the item as it was to be written (at least one).
    const size = (item: Item | undefined) => (item ? itemSize(item) : 0);
    options.meter.dynamodbWrite(
      table,
      Math.max(units(before, 1024), units(after, 1024), ok ? 0 : units(requestItem, 1024), 1),
      kindOf(after ?? before ?? requestItem),
      Math.max(size(before), size(after), ok ? 0 : size(requestItem)),
    );
    const shape = shapes.get(table);
    if (!shape || !ok) return;
    for (const [index, spent] of Object.entries(indexWriteUnits(shape.keys, shape.indexes, before, after)))
      options.meter.dynamodbWrite(`${table}/${index}`, spent);
  };
  /**
   * Put and Delete: the old image comes back with the write itself (`ReturnValues: ALL_OLD`, removed again when
   * the caller did not ask), so the meter adds no round trip. Update cannot return both images: one consistent
   * read before it (serialised per item, so a concurrent write cannot blur the two images), `ALL_NEW` after.
   */
  const meteredWrite = async (
    operation: 'PutItem' | 'DeleteItem' | 'UpdateItem',
    table: string,
    key: Item,
    body: Record<string, unknown>,
  ) => {
    const asked = body.ReturnValues as string | undefined;
    const strip = (text: string, wanted: boolean) => {
      if (wanted) return text;
      const parsed = JSON.parse(text) as Record<string, unknown>;
      delete parsed.Attributes;
      return JSON.stringify(parsed);
    };
    if (operation !== 'UpdateItem') {
      const wantsOld = asked === 'ALL_OLD';
      const out = await call(operation, { ...body, ReturnValues: 'ALL_OLD' });
      const ok = out.status === 200;
      const before = ok
        ? ((JSON.parse(out.text) as { Attributes?: Item }).Attributes ?? undefined)
        : undefined;
      const after = operation === 'PutItem' ? (body.Item as Item) : undefined;
      charge(table, before, ok ? after : before, ok, body.Item as Item | undefined);
      return ok ? { status: out.status, text: strip(out.text, wantsOld) } : out;
    }
    return withLock(`${table}|${JSON.stringify(key)}`, async () => {
      const before = await getItem(table, key);
      const wantsNew = asked === 'ALL_NEW';
      const out = await call(operation, asked && !wantsNew ? body : { ...body, ReturnValues: 'ALL_NEW' });
      const ok = out.status === 200;
      const after = ok
        ? wantsNew || !asked
          ? ((JSON.parse(out.text) as { Attributes?: Item }).Attributes ?? undefined)
          : await getItem(table, key)
        : before;
      charge(table, before, after, ok);
      return ok ? { status: out.status, text: strip(out.text, Boolean(asked)) } : out;
    });
  };

  const chargeReads = (table: string, indexName: string | undefined, text: string, item: string) => {
    const consumed = (JSON.parse(text) as { ConsumedCapacity?: unknown }).ConsumedCapacity;
    for (const entry of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
      const c = entry as { TableName?: string; CapacityUnits?: number };
      options.meter.dynamodbRead(
        indexName ? `${c.TableName ?? table}/${indexName}` : (c.TableName ?? table),
        c.CapacityUnits ?? 0,
        item,
      );
    }
  };
  /** What a read asked for: the key's kind (GetItem), the partition's (Query), or just the operation. */
  const readKind = (operation: string, body: Record<string, unknown>) => {
    if (operation === 'GetItem') return kindOf(body.Key as Item);
    if (operation === 'Query') {
      const values = (body.ExpressionAttributeValues ?? {}) as Item;
      const partition = Object.values(values).find((v) => typeof v?.S === 'string');
      return `${String(partition?.S ?? '').split('#')[0]}/*`;
    }
    return operation === 'BatchGetItem' ? 'batch' : operation.toLowerCase();
  };

  const handle = async (
    operation: string,
    body: Record<string, unknown>,
  ): Promise<{ status: number; text: string }> => {
    const table = String(body.TableName ?? '');
    const requested =
      operation === 'PutItem'
        ? kindOf(body.Item as Item)
        : operation === 'UpdateItem' || operation === 'DeleteItem'
          ? kindOf(body.Key as Item)
          : operation === 'BatchWriteItem'
            ? 'batch'
            : readKind(operation, body);
    options.meter.dynamodbRequest(operation, table, requested);
    switch (operation) {
      case 'GetItem':
      case 'Query':
      case 'Scan':
      case 'BatchGetItem': {
        const asked = body.ReturnConsumedCapacity;
        const out = await call(operation, { ...body, ReturnConsumedCapacity: 'TOTAL' });
        if (out.status === 200) {
          chargeReads(table, body.IndexName as string | undefined, out.text, readKind(operation, body));
          if (!asked || asked === 'NONE') {
            const parsed = JSON.parse(out.text) as Record<string, unknown>;
            delete parsed.ConsumedCapacity;
            return { status: 200, text: JSON.stringify(parsed) };
          }
        }
        return out;
      }
      case 'PutItem': {
        const key = keyOf(table, body.Item as Item);
        return key ? meteredWrite(operation, table, key, body) : call(operation, body);
      }
      case 'UpdateItem':
      case 'DeleteItem':
        return meteredWrite(operation, table, body.Key as Item, body);
      case 'BatchWriteItem': {
        // Bracket every item of the batch, then forward the batch once.
        const requests = body.RequestItems as Record<
          string,
          { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]
        >;
        const targets = Object.entries(requests).flatMap(([name, list]) =>
          list.flatMap((r) => {
            const key = r.PutRequest ? keyOf(name, r.PutRequest.Item) : r.DeleteRequest?.Key;
            return key ? [{ name, key }] : [];
          }),
        );
        const befores = await Promise.all(targets.map((t) => getItem(t.name, t.key)));
        const out = await call(operation, body);
        if (out.status === 200) {
          const afters = await Promise.all(targets.map((t) => getItem(t.name, t.key)));
          targets.forEach((t, i) => charge(t.name, befores[i], afters[i], true));
        }
        return out;
      }
      default:
        return call(operation, body);
    }
  };

  const server: Server = createServer((req: IncomingMessage, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      const raw = Buffer.concat(parts).toString();
      handle(operation, raw ? (JSON.parse(raw) as Record<string, unknown>) : {}).then(
        (out) => {
          res.writeHead(out.status, {
            'content-type': 'application/x-amz-json-1.0',
            'content-length': Buffer.byteLength(out.text),
          });
          res.end(out.text);
        },
        (error: unknown) => {
          const text = JSON.stringify({
            __type: 'com.amazon.coral.service#InternalFailure',
            message: String(error),
          });
          res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(text);
        },
      );
    });
  });
  await new Promise<void>((ok) => server.listen(0, options.host, () => ok()));
  return {
    endpoint: `http://${options.host}:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

/**
 * The kind of a DynamoDB item, for the meter's tables: `pkPrefix/skPrefix`, the text before the first `#` of each
 * key. Keys that start with a time (an ERA's ready set, reconciliation runs) are one kind, not one per instant.
 */
export function itemKind(item: Record<string, { S?: unknown } | undefined> | undefined): string {
  const prefix = (name: string) => {
    const value = item?.[name]?.S;
    if (typeof value !== 'string') return '';
    const head = value.split('#')[0] ?? '';
    return /^\d{4}-\d{2}-\d{2}T/.test(head) ? '<time>' : head;
  };
  return `${prefix('pk')}/${prefix('sk')}`;
}
