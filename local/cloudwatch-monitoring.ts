/**
 * Monitoring in the local runtime: the alert topics (SNS stand-in), metrics and alarms (CloudWatch stand-in,
 * fed by the EMF lines the in-process handlers print), the SLA sweeper on a timer (EventBridge schedule
 * stand-in), and the `/__local/…` HTTP endpoints to look at them. local/runtime.ts starts it with the same
 * alarm table (lambdas/monitoring-alarms.ts) lib/ deploys.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  AUDIENCES,
  alarmDefinitions,
  alarmName,
  type MonitoringThresholds,
  metricsNamespace,
  queueDlqAlarmDefinitions,
} from '../lambdas/monitoring-alarms.js';
import { type HandlerName, type QueueName, queues, schedules } from '../lambdas/wiring.js';
import { captureEmf, LocalCloudWatch, type MetricDatum, SQS_NAMESPACE, sqsQueueName } from './cloudwatch.js';
import { LocalSns } from './sns.js';

export const LOCAL_STAGE = 'local';

/** The local alert topic of an audience, named as lib/monitoring.ts names the stage's topics. */
export function localAlertTopicArn(region: string, account: string, topic: string): string {
  return `arn:aws:sns:${region}:${account}:rcm-hub-${LOCAL_STAGE}-${topic}-alerts`;
}

export interface LocalMonitoringOptions {
  thresholds: MonitoringThresholds;
  region: string;
  account: string;
  invoke: (name: HandlerName, event: unknown) => Promise<unknown>;
  /** Every alarm's period locally (default: the table's). Tests use 1 s so two sweeps are two periods. */
  alarmPeriodSeconds?: number;
  /** Seconds between scheduled sweeps (default: the stage rate); `false`: only on demand. */
  sweepIntervalSeconds?: number | false;
  /**
   * A queue's depth and oldest message age (the local SQS), sampled as AWS samples SQS metrics — once a minute,
   * or twice per shortened alarm period — so the queue-age and DLQ-depth alarms are evaluated locally too.
   */
  queueStats?: (queue: QueueName, dlq: boolean) => { visible: number; oldestAgeSeconds: number } | undefined;
  /** Print EMF lines too (default: only when the log level is DEBUG). */
  echoEmf: boolean;
  log: (message: string) => void;
}

export interface LocalMonitoring {
  sns: LocalSns;
  cloudwatch: LocalCloudWatch;
  /** Runs the SLA sweeper now (as its schedule would) and evaluates the alarms; answers the sweep's result. */
  runSweep(): Promise<unknown>;
  /** Serves `/__local/sns/messages`, `/__local/alarms`, `/__local/metrics`, `POST /__local/sla-sweeps`. */
  handleHttp(req: IncomingMessage, res: ServerResponse): boolean;
  close(): void;
}

const REGION_NAMES: Record<string, string> = { 'us-east-1': 'US East (N. Virginia)' };

export function startLocalMonitoring(options: LocalMonitoringOptions): LocalMonitoring {
  const sns = new LocalSns(AUDIENCES, (topic) => localAlertTopicArn(options.region, options.account, topic));
  const cloudwatch = new LocalCloudWatch({
    namespace: metricsNamespace(LOCAL_STAGE),
    // The alarm table lib/ deploys, and the DLQ depth alarms lib/ builds for the wiring.ts queues.
    alarms: [
      ...alarmDefinitions(options.thresholds),
      ...queueDlqAlarmDefinitions((queue) => sqsQueueName(queue, true)),
    ],
    alarmName: (name) => alarmName(LOCAL_STAGE, name),
    sns,
    region: options.region,
    regionName: REGION_NAMES[options.region] ?? options.region,
    account: options.account,
    ...(options.alarmPeriodSeconds !== undefined ? { periodSeconds: options.alarmPeriodSeconds } : {}),
  });
  const release = captureEmf((line) => cloudwatch.ingest(line), { echo: options.echoEmf });

  const sampleQueues = () => {
    const stats = options.queueStats;
    if (!stats) return;
    const timestamp = Date.now();
    const datapoints: MetricDatum[] = [];
    for (const queue of Object.keys(queues) as QueueName[]) {
      for (const dlq of [false, true]) {
        const stat = stats(queue, dlq);
        if (!stat) continue;
        const dimensions = { QueueName: sqsQueueName(queue, dlq) };
        datapoints.push(
          {
            namespace: SQS_NAMESPACE,
            metricName: 'ApproximateNumberOfMessagesVisible',
            dimensions,
            values: [stat.visible],
            timestamp,
          },
          {
            namespace: SQS_NAMESPACE,
            metricName: 'ApproximateAgeOfOldestMessage',
            dimensions,
            values: [stat.oldestAgeSeconds],
            timestamp,
          },
        );
      }
    }
    cloudwatch.putMetric(...datapoints);
  };
  const sampleEvery =
    options.alarmPeriodSeconds !== undefined ? Math.min(60_000, options.alarmPeriodSeconds * 500) : 60_000;
  const sampler = options.queueStats ? setInterval(sampleQueues, sampleEvery) : undefined;
  sampler?.unref();

  // One sweep at a time, like a schedule whose runs do not overlap; an on-demand run waits for a running one.
  let running: Promise<unknown> = Promise.resolve();
  const runSweep = (): Promise<unknown> => {
    const run = running.then(async () => {
      const result = await options.invoke(schedules.SlaSweep.handler, scheduledEvent(options));
      cloudwatch.evaluate();
      return result;
    });
    running = run.catch(() => undefined);
    return run;
  };
  const every =
    options.sweepIntervalSeconds === false
      ? undefined
      : (options.sweepIntervalSeconds ?? options.thresholds.sweeperRateMinutes * 60);
  const timer =
    every === undefined
      ? undefined
      : setInterval(() => {
          runSweep().catch((error) => options.log(`[slaSweeper] sweep failed: ${(error as Error).message}`));
        }, every * 1000);
  timer?.unref();

  return {
    sns,
    cloudwatch,
    runSweep,
    handleHttp(req, res) {
      const url = new URL(req.url ?? '/', 'http://local');
      if (!url.pathname.startsWith('/__local/')) return false;
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body, null, 2));
      };
      if (req.method === 'GET' && url.pathname === '/__local/sns/messages') {
        const topic = url.searchParams.get('topic') ?? undefined;
        if (topic !== undefined && !sns.topics.includes(topic))
          send(404, { message: `no topic ${topic}; topics: ${sns.topics.join(', ')}` });
        else send(200, { messages: sns.messages(topic) });
      } else if (req.method === 'GET' && url.pathname === '/__local/alarms') {
        send(200, { alarms: cloudwatch.alarms() });
      } else if (req.method === 'GET' && url.pathname === '/__local/metrics') {
        send(200, { datapoints: cloudwatch.metrics(url.searchParams.get('name') ?? undefined) });
      } else if (req.method === 'POST' && url.pathname === '/__local/sla-sweeps') {
        runSweep().then(
          (result) => send(200, result),
          (error) => send(500, { message: (error as Error).message }),
        );
      } else send(404, { message: `no local endpoint ${req.method} ${url.pathname}` });
      return true;
    },
    close() {
      if (timer) clearInterval(timer);
      if (sampler) clearInterval(sampler);
      cloudwatch.close();
      release();
    },
  };
}

/** What an EventBridge schedule rule hands its Lambda target. */
function scheduledEvent(options: LocalMonitoringOptions): Record<string, unknown> {
  return {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: options.account,
    time: new Date().toISOString(),
    region: options.region,
    resources: [`arn:aws:events:${options.region}:${options.account}:rule/SlaSweep`],
    detail: {},
  };
}
