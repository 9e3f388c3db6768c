import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** What the inbound queue carries: a pointer to the stored receipt (the body stays in the encrypted table). */
export interface InboundMessage {
  source: string;
  deliveryId: string;
}

/** What the delivery queue carries: one event for one subscription (the envelope, to sign and send as is). */
export interface DeliveryMessage {
  subscriptionId: string;
  eventId: string;
  envelope: { id: string; type: string } & Record<string, unknown>;
}

/** Standard SQS queues of the webhook machinery (not FIFO: per-message visibility drives the backoff). */
export class WebhookQueue<T> {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(message: T, attributes: Record<string, string> = {}): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        MessageAttributes: Object.fromEntries(
          Object.entries(attributes).map(([name, value]) => [
            name,
            { DataType: 'String', StringValue: value.slice(0, 1024) },
          ]),
        ),
      }),
    );
  }

  /** Makes a received message visible again in `seconds`: the retry delay of a failed delivery. */
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
