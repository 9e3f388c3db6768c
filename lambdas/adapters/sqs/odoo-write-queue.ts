import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { EventEnvelope } from '../../core/envelope.js';
import { ERA_BOOKING_ROUND, type EraBookingRound, eraGroup } from '../../core/era-booking.js';

/**
 * The Odoo write queue is FIFO: one message group per encounter keeps an encounter's writes in order
 * while different encounters proceed in parallel; our event id is the deduplication id, so a bus
 * redelivery within SQS's 5-minute window is dropped by SQS itself.
 */
export class OdooWriteQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /**
   * `attempt` distinguishes a deliberate re-queue of a held event (or a retry from the exception register)
   * from a duplicate of the first delivery; `attributes` travel with it (the retry's exception, lambdas/core/exceptions.ts).
   */
  async enqueue(
    envelope: EventEnvelope,
    attempt?: string,
    attributes: Record<string, string> = {},
  ): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(envelope),
        MessageGroupId: envelope.partitionKey,
        MessageDeduplicationId:
          attempt === undefined ? envelope.id : `${envelope.id}:${attempt}`.slice(0, 128),
        MessageAttributes: {
          type: { DataType: 'String', StringValue: envelope.type },
          correlationId: { DataType: 'String', StringValue: envelope.correlationId },
          ...Object.fromEntries(
            Object.entries(attributes).map(([name, value]) => [
              name,
              { DataType: 'String', StringValue: value },
            ]),
          ),
        },
      }),
    );
  }

  /**
   * Asks for a round of the ERA's claim payments (core/era-booking.ts), in the ERA's FIFO group. `cause` (the
   * claim payment's ready item, or a round's own message id) makes it its own message: a round already taken must
   * not swallow the next joining's request within SQS's 5-minute deduplication window.
   */
  async enqueueEraRound(traceNumber: string, cause: string): Promise<void> {
    const body: EraBookingRound = { type: ERA_BOOKING_ROUND, traceNumber };
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(body),
        MessageGroupId: eraGroup(traceNumber),
        MessageDeduplicationId: `era-round:${cause}`.slice(0, 128),
        MessageAttributes: { type: { DataType: 'String', StringValue: ERA_BOOKING_ROUND } },
      }),
    );
  }

  /** Makes a received message visible again in `seconds` (the retry delay of a failed write). */
  async retryIn(receiptHandle: string, seconds: number): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: Math.max(0, Math.min(Math.round(seconds), 12 * 3600)),
      }),
    );
  }
}

/**
 * Messages Odoo refused for good go to the DLQ with the reason attached, so the person who opens the
 * exception sees why without digging through logs. The DLQ is FIFO as well (a FIFO source requires it).
 */
export class OdooWriteDeadLetters {
  constructor(
    private readonly client: SQSClient,
    private readonly dlqUrl: string,
  ) {}

  /** `attempt`: a retried event refused again is a new DLQ message, not a duplicate of the first one. */
  async deadLetter(
    envelope: EventEnvelope,
    reason: { kind: string; message: string; attempts: number },
    attempt?: string,
  ): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.dlqUrl,
        MessageBody: JSON.stringify(envelope),
        MessageGroupId: envelope.partitionKey,
        MessageDeduplicationId:
          attempt === undefined ? envelope.id : `${envelope.id}:${attempt}`.slice(0, 128),
        MessageAttributes: {
          type: { DataType: 'String', StringValue: envelope.type },
          correlationId: { DataType: 'String', StringValue: envelope.correlationId },
          failureKind: { DataType: 'String', StringValue: reason.kind },
          failureReason: { DataType: 'String', StringValue: reason.message.slice(0, 1024) },
          attempts: { DataType: 'Number', StringValue: String(reason.attempts) },
        },
      }),
    );
  }

  async deadLetterUnreadable(
    body: string,
    groupId: string,
    messageId: string,
    reason: string,
  ): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.dlqUrl,
        MessageBody: body,
        MessageGroupId: groupId,
        MessageDeduplicationId: messageId,
        MessageAttributes: {
          failureKind: { DataType: 'String', StringValue: 'unreadable' },
          failureReason: { DataType: 'String', StringValue: reason.slice(0, 1024) },
        },
      }),
    );
  }
}
