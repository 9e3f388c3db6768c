import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventEnvelope } from '../../core/envelope.js';

/** Raised when EventBridge refuses an entry; the caller's retry (API client or SQS redelivery) covers it. */
export class PublishFailed extends Error {
  readonly kind = 'transient';
}

/**
 * Publishes envelopes on the hub's bus: `source` and `detail-type` from the envelope, the envelope itself
 * as `detail`. PutEvents reports per-entry failures with HTTP 200, so they are checked here.
 */
export class EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(...envelopes: EventEnvelope[]): Promise<void> {
    for (let i = 0; i < envelopes.length; i += 10) {
      const batch = envelopes.slice(i, i + 10);
      const out = await this.client.send(
        new PutEventsCommand({
          Entries: batch.map((envelope) => ({
            EventBusName: this.busName,
            Source: envelope.source,
            DetailType: envelope.type,
            Time: new Date(envelope.time),
            Detail: JSON.stringify(envelope),
          })),
        }),
      );
      if ((out.FailedEntryCount ?? 0) > 0) {
        const failure = out.Entries?.find((entry) => entry.ErrorCode);
        throw new PublishFailed(
          `EventBridge refused ${out.FailedEntryCount} event(s): ${failure?.ErrorCode} ${failure?.ErrorMessage}`,
        );
      }
    }
  }
}
