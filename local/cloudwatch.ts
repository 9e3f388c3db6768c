/**
 * CloudWatch stand-in for the local runtime: metrics from EMF, alarms from the alarm table.
 *
 * In AWS, CloudWatch Logs extracts metrics from the Embedded Metric Format lines Powertools prints to stdout
 * (any line with `_aws.CloudWatchMetrics`), and each alarm of lambdas/monitoring-alarms.ts evaluates its
 * metric per period and notifies its audience's SNS topic. Locally the runtime tees process.stdout
 * (`captureEmf`), this class keeps the datapoints and evaluates the same alarm table, and state changes are
 * published to the SNS stand-in (local/sns.ts) with the message CloudWatch sends.
 *
 * Alarms evaluate complete periods only (issue 12: the OdooErrorRate alarm flapped on partial periods), as a
 * CloudWatch alarm with a wall clock evaluation window does (lib/monitoring.ts sets one): a period's datapoints
 * count once the period has ended, and an evaluation runs at the end of each period that received data.
 * SQS metrics (queue age, DLQ depth) are sampled from the local queues (`putMetric`, local/cloudwatch-monitoring.ts)
 * as AWS samples them; API Gateway metrics do not exist locally, so alarms on them are listed but never evaluated.
 *
 * Differences from CloudWatch (docs/local-runtime.md#alarms): notifications go out on → ALARM and on
 * ALARM → OK only (CloudWatch also notifies INSUFFICIENT_DATA → OK once after an alarm is created); periods
 * may be shortened (`periodSeconds`) so tests need not wait minutes.
 */
import type { AlarmDefinition, Comparison, EmfMetricRef, Statistic } from '../lambdas/monitoring-alarms.js';
import { emfDimensions } from '../lambdas/monitoring-alarms.js';
import { type QueueName, queues } from '../lambdas/wiring.js';
import type { LocalSns } from './sns.js';

/** Where SQS metrics live (CloudWatch namespace AWS/SQS, dimension QueueName). */
export const SQS_NAMESPACE = 'AWS/SQS';

/** The local physical name of a wiring.ts queue (or its DLQ), as the local runtime creates it. */
export function sqsQueueName(queue: QueueName, dlq: boolean): string {
  const fifo = queues[queue].fifo ? '.fifo' : '';
  return `${queue}${dlq ? '-dlq' : ''}${fifo}`;
}

export interface MetricDatum {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  values: number[];
  unit?: string;
  timestamp: number;
}

/** The datapoints of one EMF document: one per (dimension set, metric), as CloudWatch Logs extracts them. */
export function parseEmf(line: string, now: () => number = Date.now): MetricDatum[] {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return [];
  }
  const aws = doc._aws as
    | {
        Timestamp?: number;
        CloudWatchMetrics?: {
          Namespace: string;
          Dimensions: string[][];
          Metrics: { Name: string; Unit?: string }[];
        }[];
      }
    | undefined;
  if (!aws || !Array.isArray(aws.CloudWatchMetrics)) return [];
  const timestamp = typeof aws.Timestamp === 'number' ? aws.Timestamp : now();
  const out: MetricDatum[] = [];
  for (const directive of aws.CloudWatchMetrics) {
    const sets = directive.Dimensions?.length ? directive.Dimensions : [[]];
    for (const set of sets) {
      const dimensions: Record<string, string> = {};
      let complete = true;
      for (const name of set) {
        const value = doc[name];
        if (typeof value !== 'string') complete = false;
        else dimensions[name] = value;
      }
      if (!complete) continue; // CloudWatch drops a dimension set whose value is missing
      for (const metric of directive.Metrics ?? []) {
        const raw = doc[metric.Name];
        const values = (Array.isArray(raw) ? raw : [raw]).filter(
          (v): v is number => typeof v === 'number' && Number.isFinite(v),
        );
        if (values.length === 0) continue;
        out.push({
          namespace: directive.Namespace,
          metricName: metric.Name,
          dimensions,
          values,
          ...(metric.Unit ? { unit: metric.Unit } : {}),
          timestamp,
        });
      }
    }
  }
  return out;
}

/**
 * Tees process.stdout: every line carrying `_aws.CloudWatchMetrics` goes to `onLine` (and, unless `echo`, no
 * further — the terminal is not flooded with EMF); everything else is written as usual. Returns the undo.
 */
export function captureEmf(onLine: (line: string) => void, options: { echo: boolean }): () => void {
  const stream = process.stdout;
  const original = stream.write;
  let active = true;
  const patched = function (this: unknown, chunk: unknown, ...rest: unknown[]): boolean {
    const text =
      typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : undefined;
    if (!active || text === undefined || !text.includes('CloudWatchMetrics')) {
      return (original as (...args: unknown[]) => boolean).apply(stream, [chunk, ...rest]);
    }
    const kept: string[] = [];
    for (const line of text.split('\n')) {
      if (line.includes('"_aws"') && line.includes('CloudWatchMetrics')) {
        try {
          onLine(line);
        } catch {
          // a stand-in must never break the handler that printed
        }
        if (options.echo) kept.push(line);
      } else kept.push(line);
    }
    const rest_ = kept.join('\n');
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    if (rest_.trim().length > 0)
      return (original as (...args: unknown[]) => boolean).apply(stream, [rest_, ...rest]);
    callback?.();
    return true;
  };
  stream.write = patched as typeof stream.write;
  return () => {
    active = false;
    if (stream.write === (patched as typeof stream.write)) stream.write = original;
  };
}

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface LocalAlarmStatus {
  name: string;
  alarmName: string;
  audience: string;
  state: AlarmState;
  reason: string;
  /** AWS service metrics (API Gateway, SQS) are not emulated: those alarms stay INSUFFICIENT_DATA. */
  evaluatedLocally: boolean;
  updatedAt: string;
}

export interface LocalCloudWatchOptions {
  namespace: string;
  alarms: readonly AlarmDefinition[];
  alarmName: (name: string) => string;
  sns: LocalSns;
  region: string;
  regionName: string;
  account: string;
  /** Overrides every alarm's period (tests: seconds instead of the 15 min of a sweep). */
  periodSeconds?: number;
  /** How often alarms are evaluated besides on each new datapoint (ms; default 10 s; 0 = only on data). */
  evaluationIntervalMs?: number;
  /** The clock (ms since the epoch; default Date.now): tests drive time instead of depending on today's date. */
  now?: () => number;
}

interface AlarmRuntime {
  definition: AlarmDefinition;
  status: LocalAlarmStatus;
}

const comparisons: Record<Comparison, { test: (v: number, t: number) => boolean; words: string }> = {
  GreaterThanThreshold: { test: (v, t) => v > t, words: 'greater than' },
  GreaterThanOrEqualToThreshold: { test: (v, t) => v >= t, words: 'greater than or equal to' },
  LessThanThreshold: { test: (v, t) => v < t, words: 'less than' },
  LessThanOrEqualToThreshold: { test: (v, t) => v <= t, words: 'less than or equal to' },
};

/** How CloudWatch prints a datapoint value (a Java double): 12345.0, 5.5. */
const cwNumber = (v: number): string => (Number.isInteger(v) ? `${v}.0` : String(v));
/** How CloudWatch prints a datapoint time in a state reason: dd/MM/yy HH:mm:ss (UTC). */
function cwTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCFullYear() % 100)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

function statistic(values: number[], stat: Statistic): number {
  switch (stat) {
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'Maximum':
      return Math.max(...values);
    case 'Minimum':
      return Math.min(...values);
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'SampleCount':
      return values.length;
  }
}

export class LocalCloudWatch {
  private readonly data: MetricDatum[] = [];
  private readonly runtimes: AlarmRuntime[];
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly periodEnds = new Map<number, NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly options: LocalCloudWatchOptions) {
    this.now = options.now ?? Date.now;
    const now = new Date(this.now()).toISOString();
    this.runtimes = options.alarms.map((definition) => ({
      definition,
      status: {
        name: definition.name,
        alarmName: options.alarmName(definition.name),
        audience: definition.audience,
        state: 'INSUFFICIENT_DATA',
        reason: 'Unchecked: Initial alarm creation',
        evaluatedLocally: definition.metric.source !== 'apiGateway',
        updatedAt: now,
      },
    }));
    const every = options.evaluationIntervalMs ?? 10_000;
    if (every > 0) {
      this.timer = setInterval(() => this.evaluate(), every);
      this.timer.unref();
    }
  }

  /** One stdout line of a handler: its EMF datapoints are stored, then the alarms are evaluated. */
  ingest(line: string): void {
    this.putMetric(...parseEmf(line, this.now));
  }

  /** Datapoints from anywhere (PutMetricData; the SQS sampler of the local runtime). */
  putMetric(...datapoints: MetricDatum[]): void {
    if (datapoints.length === 0) return;
    this.data.push(...datapoints);
    this.evaluateAtPeriodEnds(datapoints);
    // Keep memory bounded: the longest period of the table × its evaluation periods is well under a day.
    const horizon = this.now() - 86_400_000;
    while (this.data.length > 0 && (this.data[0]?.timestamp ?? 0) < horizon) this.data.shift();
    this.evaluate();
  }

  /** Datapoints received (tests and `GET /__local/cloudwatch/metrics`), optionally one metric's. */
  metrics(metricName?: string): MetricDatum[] {
    return this.data.filter((d) => metricName === undefined || d.metricName === metricName);
  }

  alarms(): LocalAlarmStatus[] {
    return this.runtimes.map((r) => ({ ...r.status }));
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const timer of this.periodEnds.values()) clearTimeout(timer);
    this.periodEnds.clear();
  }

  /**
   * With timers on (a running hub), each period that received data is evaluated as soon as it has ended, not
   * only at the next interval tick: an alarm fires one period after its datapoint, as in CloudWatch.
   */
  private evaluateAtPeriodEnds(datapoints: MetricDatum[]): void {
    if ((this.options.evaluationIntervalMs ?? 10_000) <= 0 || this.closed) return;
    const periods = new Set(this.runtimes.map((r) => this.periodMs(r.definition)));
    const now = this.now();
    for (const period of periods) {
      for (const at of new Set(datapoints.map((d) => Math.floor(d.timestamp / period) * period + period))) {
        if (at <= now || this.periodEnds.has(at)) continue;
        const timer = setTimeout(
          () => {
            this.periodEnds.delete(at);
            this.evaluate();
          },
          at - now + 5,
        );
        timer.unref();
        this.periodEnds.set(at, timer);
      }
    }
  }

  /** Evaluates every locally evaluable alarm at `now`; notifies on → ALARM and ALARM → OK. */
  evaluate(now = this.now()): void {
    for (const runtime of this.runtimes) {
      if (!runtime.status.evaluatedLocally) continue;
      const next = this.decide(runtime.definition, now);
      if (!next || next.state === runtime.status.state) continue;
      const old = runtime.status.state;
      runtime.status = {
        ...runtime.status,
        state: next.state,
        reason: next.reason,
        updatedAt: new Date(now).toISOString(),
      };
      if (next.state === 'ALARM' || (next.state === 'OK' && old === 'ALARM')) this.notify(runtime, old, now);
    }
  }

  private periodMs(definition: AlarmDefinition): number {
    return (this.options.periodSeconds ?? definition.periodSeconds) * 1000;
  }

  private valueOf(ref: EmfMetricRef, from: number, to: number): number | undefined {
    return this.seriesValue(
      this.options.namespace,
      ref.metricName,
      emfDimensions(ref),
      ref.statistic,
      from,
      to,
    );
  }

  private seriesValue(
    namespace: string,
    metricName: string,
    dimensions: Record<string, string>,
    stat: Statistic,
    from: number,
    to: number,
  ): number | undefined {
    const keys = Object.keys(dimensions).sort();
    const values = this.data
      .filter(
        (d) =>
          d.namespace === namespace &&
          d.metricName === metricName &&
          d.timestamp >= from &&
          d.timestamp < to &&
          // An alarm names the exact dimension set (no more, no fewer dimensions).
          Object.keys(d.dimensions).sort().join() === keys.join() &&
          keys.every((k) => d.dimensions[k] === dimensions[k]),
      )
      .flatMap((d) => d.values);
    return values.length ? statistic(values, stat) : undefined;
  }

  private bucketValue(definition: AlarmDefinition, from: number, to: number): number | undefined {
    const metric = definition.metric;
    if (metric.source === 'emf') return this.valueOf(metric, from, to);
    if (metric.source === 'emfPercent') {
      const calls = this.valueOf(metric.denominator, from, to);
      if (!calls) return undefined;
      return (100 * (this.valueOf(metric.numerator, from, to) ?? 0)) / calls;
    }
    if (metric.source === 'sqs') {
      const queueName = sqsQueueName(metric.queue, metric.dlq === true);
      return this.seriesValue(
        SQS_NAMESPACE,
        metric.metricName,
        { QueueName: queueName },
        metric.statistic,
        from,
        to,
      );
    }
    return undefined;
  }

  private decide(
    definition: AlarmDefinition,
    now: number,
  ): { state: AlarmState; reason: string } | undefined {
    const period = this.periodMs(definition);
    // Complete periods only: the newest evaluated period is the last one that has ended.
    const current = Math.floor(now / period) * period;
    const buckets = Array.from({ length: definition.evaluationPeriods }, (_, k) => {
      const from = current - (k + 1) * period;
      return { from, value: this.bucketValue(definition, from, from + period) };
    });
    const present = buckets.filter((b): b is { from: number; value: number } => b.value !== undefined);
    const comparison = comparisons[definition.comparison];
    const n = definition.evaluationPeriods;
    const missingCount = n - present.length;
    if (present.length === 0) {
      switch (definition.treatMissingData) {
        case 'ignore':
          return undefined;
        case 'missing':
          return {
            state: 'INSUFFICIENT_DATA',
            reason: `Insufficient Data: ${n} datapoint${n > 1 ? 's were' : ' was'} unknown.`,
          };
        case 'notBreaching':
        case 'breaching': {
          const breaching = definition.treatMissingData === 'breaching';
          return {
            state: breaching ? 'ALARM' : 'OK',
            reason: `Threshold Crossed: no datapoints were received for ${n} period${n > 1 ? 's' : ''} and ${n} missing datapoint${n > 1 ? 's were' : ' was'} treated as [${breaching ? 'Breaching' : 'NonBreaching'}].`,
          };
        }
      }
    }
    const breaches = present.filter((b) => comparison.test(b.value, definition.threshold)).length;
    const missingBreach = definition.treatMissingData === 'breaching' ? missingCount : 0;
    const considered = ['ignore', 'missing'].includes(definition.treatMissingData) ? present.length : n;
    const alarm = breaches + missingBreach >= considered;
    const points = present.map((b) => `${cwNumber(b.value)} (${cwTime(b.from)})`).join(', ');
    const threshold = cwNumber(definition.threshold);
    const verb = alarm ? comparison.words : `not ${comparison.words}`;
    const reason =
      present.length === 1 && n === 1
        ? `Threshold Crossed: 1 datapoint [${points}] was ${verb} the threshold (${threshold}).`
        : `Threshold Crossed: ${alarm ? breaches : present.length - breaches} out of the last ${present.length} datapoints [${points}] ${alarm ? 'were' : 'were not'} ${comparison.words} the threshold (${threshold}) (minimum ${n} datapoint${n > 1 ? 's' : ''} for ${alarm ? 'OK -> ALARM' : 'ALARM -> OK'} transition).`;
    return { state: alarm ? 'ALARM' : 'OK', reason };
  }

  /** The JSON CloudWatch publishes to an alarm's SNS actions, on the audience's local topic. */
  private notify(runtime: AlarmRuntime, oldState: AlarmState, now: number): void {
    const { definition, status } = runtime;
    const { sns, region, regionName, account, namespace } = this.options;
    const topicArn = sns.topicArn(definition.audience);
    const period = this.periodMs(definition) / 1000;
    const dimensionList = (ref: EmfMetricRef) =>
      Object.entries(emfDimensions(ref)).map(([name, value]) => ({ value, name }));
    const metric = definition.metric;
    const common = {
      Period: period,
      EvaluationPeriods: definition.evaluationPeriods,
      DatapointsToAlarm: definition.evaluationPeriods,
      ComparisonOperator: definition.comparison,
      Threshold: definition.threshold,
      TreatMissingData: definition.treatMissingData,
      EvaluateLowSampleCountPercentile: '',
    };
    const trigger =
      metric.source === 'emf'
        ? {
            MetricName: metric.metricName,
            Namespace: namespace,
            StatisticType: 'Statistic',
            Statistic: metric.statistic.toUpperCase(),
            Unit: null,
            Dimensions: dimensionList(metric),
            ...common,
          }
        : metric.source === 'emfPercent'
          ? {
              Metrics: [
                {
                  Expression: '100 * FILL(errors, 0) / calls',
                  Id: 'rate',
                  Label: metric.label,
                  ReturnData: true,
                },
                ...(
                  [
                    ['errors', metric.numerator],
                    ['calls', metric.denominator],
                  ] as const
                ).map(([id, ref]) => ({
                  Id: id,
                  MetricStat: {
                    Metric: {
                      Dimensions: dimensionList(ref),
                      MetricName: ref.metricName,
                      Namespace: namespace,
                    },
                    Period: period,
                    Stat: ref.statistic,
                  },
                  ReturnData: false,
                })),
              ],
              ...common,
            }
          : common;
    const message = {
      AlarmName: status.alarmName,
      AlarmDescription: definition.description,
      AWSAccountId: account,
      AlarmConfigurationUpdatedTimestamp: new Date(0).toISOString().replace('Z', '+0000'),
      NewStateValue: status.state,
      NewStateReason: status.reason,
      StateChangeTime: new Date(now).toISOString().replace('Z', '+0000'),
      Region: regionName,
      AlarmArn: `arn:aws:cloudwatch:${region}:${account}:alarm:${status.alarmName}`,
      OldStateValue: oldState,
      OKActions: [topicArn],
      AlarmActions: [topicArn],
      InsufficientDataActions: [],
      Trigger: trigger,
    };
    sns.publish(
      definition.audience,
      `${status.state}: "${status.alarmName}" in ${regionName}`,
      JSON.stringify(message),
    );
  }
}
