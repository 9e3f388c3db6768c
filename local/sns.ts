/**
 * SNS stand-in for the local runtime: the alert topics (one per audience, as lib/monitoring.ts builds them)
 * record what is published to them, in memory, instead of e-mailing anyone. Tests read them through the hub
 * object (`hub.sns`), people through `GET /__local/sns/messages?topic=finance` on the local API server.
 */
import { randomUUID } from 'node:crypto';

export interface SnsMessage {
  MessageId: string;
  TopicArn: string;
  /** The audience the topic belongs to (finance, billing, integration). */
  topic: string;
  Subject: string;
  /** As SNS delivers it: a string (CloudWatch alarm notifications are JSON in it). */
  Message: string;
  Timestamp: string;
}

/**
 * A CloudWatch alarm's notification (its Message is the alarm JSON), as opposed to an exception alert that
 * the exception register publishes in plain words (docs/triage.md#alerts) on the same topics.
 */
export function isAlarmNotification(message: SnsMessage): boolean {
  return /^(ALARM|OK|INSUFFICIENT_DATA): "/.test(message.Subject) && message.Message.startsWith('{');
}

export class LocalSns {
  private readonly published: SnsMessage[] = [];
  private readonly arns = new Map<string, string>();

  constructor(
    topics: readonly string[],
    private readonly arnOf: (topic: string) => string,
  ) {
    for (const topic of topics) this.arns.set(topic, arnOf(topic));
  }

  topicArn(topic: string): string {
    const arn = this.arns.get(topic);
    if (!arn) throw new Error(`no local SNS topic ${topic}`);
    return arn;
  }

  get topics(): string[] {
    return [...this.arns.keys()];
  }

  publish(topic: string, subject: string, message: string): SnsMessage {
    const entry: SnsMessage = {
      MessageId: randomUUID(),
      TopicArn: this.topicArn(topic),
      topic,
      Subject: subject.slice(0, 100),
      Message: message,
      Timestamp: new Date().toISOString(),
    };
    this.published.push(entry);
    return entry;
  }

  /** As SNS `Publish` by topic ARN (the handlers' SNSClient, through local/aws/server.ts); throws when unknown. */
  publishToArn(topicArn: string, subject: string, message: string): SnsMessage {
    const topic = [...this.arns].find(([, arn]) => arn === topicArn)?.[0];
    if (topic === undefined) throw new Error(`no local SNS topic ${topicArn}`);
    return this.publish(topic, subject, message);
  }

  /** Everything published, oldest first; one topic's only when `topic` is given. */
  messages(topic?: string): SnsMessage[] {
    return this.published.filter((m) => topic === undefined || m.topic === topic);
  }

  clear(): void {
    this.published.length = 0;
  }
}
