import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import type { ExceptionAlert } from '../../core/triage/alert.js';

/** `{"finance": "<topic arn>", "billing": …, "integration": …}`: the stage's alert topic per team. */
export const AlertTopics = z.record(z.string(), z.string().regex(/^arn:aws[a-z-]*:sns:/));
export type AlertTopics = z.infer<typeof AlertTopics>;

export function alertTopicsFrom(raw: string | undefined): AlertTopics {
  return raw ? AlertTopics.parse(JSON.parse(raw)) : {};
}

/**
 * Delivers an exception alert (lambdas/core/triage/alert.ts) to its team's topic — the same topics the
 * CloudWatch alarms notify (lib/monitoring.ts), so the same people get it. A team without a topic gets none:
 * answers false.
 */
export class AlertPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topics: AlertTopics,
  ) {}

  async publish(alert: ExceptionAlert): Promise<boolean> {
    const topicArn = this.topics[alert.team];
    if (!topicArn) return false;
    await this.client.send(
      new PublishCommand({ TopicArn: topicArn, Subject: alert.subject, Message: alert.message }),
    );
    return true;
  }
}
