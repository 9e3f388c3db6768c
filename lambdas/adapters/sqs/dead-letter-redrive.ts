import { randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** How much of the DLQ one retry looks through (10 messages per receive). */
const MAX_RECEIVES = 10;
/** Long enough to finish the scan and the re-drive; the others are made visible again right after. */
const SCAN_VISIBILITY_SECONDS = 30;

/**
 * Takes the messages of one event out of the Odoo write DLQ, for a retry from the exception register. SQS
 * cannot fetch a message by id, so a bounded number of messages is received (hidden for a moment), the
 * matching ones are handed to the caller to delete once the re-drive is sent, and every other message is
 * made visible again at once (in a FIFO DLQ, moved to the back of their group, since FIFO hides what follows a
 * group's head in flight). Not finding it is normal: SQS prunes a DLQ after its retention (14 days); the caller
 * then uses the copy kept with the exception.
 */
export class OdooWriteDlqRedrive {
  constructor(
    private readonly client: SQSClient,
    private readonly dlqUrl: string,
  ) {}

  async find(eventId: string): Promise<{ body?: string; remove: () => Promise<void> }> {
    const matches: Message[] = [];
    const others: Message[] = [];
    try {
      for (let receive = 0; receive < MAX_RECEIVES; receive++) {
        const out = await this.client.send(
          new ReceiveMessageCommand({
            QueueUrl: this.dlqUrl,
            MaxNumberOfMessages: 10,
            VisibilityTimeout: SCAN_VISIBILITY_SECONDS,
            WaitTimeSeconds: 0,
            MessageSystemAttributeNames: ['MessageGroupId'],
            MessageAttributeNames: ['All'],
          }),
        );
        const messages = out.Messages ?? [];
        if (messages.length === 0) break;
        for (const message of messages) (idOf(message) === eventId ? matches : others).push(message);
        if (matches.length > 0) break;
        // FIFO hides the rest of a group while its head is in flight (issue 12): move each head we hold to the
        // back of its group (copy sent first, then the original deleted), so the next receive shows what
        // followed it. The DLQ's order within a group carries no meaning; the copy keeps body and attributes.
        if (this.dlqUrl.endsWith('.fifo')) {
          for (const message of others.splice(0)) await this.moveToBack(message);
        }
      }
    } finally {
      await Promise.all(others.map((message) => this.release(message)));
    }
    return {
      body: matches[0]?.Body,
      remove: async () => {
        for (const message of matches) {
          await this.client.send(
            new DeleteMessageCommand({ QueueUrl: this.dlqUrl, ReceiptHandle: message.ReceiptHandle }),
          );
        }
      },
    };
  }

  private async moveToBack(message: Message): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.dlqUrl,
        MessageBody: message.Body ?? '',
        MessageGroupId: message.Attributes?.MessageGroupId ?? 'dead-letters',
        MessageDeduplicationId: randomUUID(),
        ...(message.MessageAttributes ? { MessageAttributes: message.MessageAttributes } : {}),
      }),
    );
    await this.client.send(
      new DeleteMessageCommand({ QueueUrl: this.dlqUrl, ReceiptHandle: message.ReceiptHandle }),
    );
  }

  private async release(message: Message): Promise<void> {
    await this.client
      .send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.dlqUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      )
      .catch(() => undefined); // it becomes visible anyway when the scan's visibility timeout ends
  }
}

function idOf(message: Message): string | undefined {
  try {
    return (JSON.parse(message.Body ?? '') as { id?: string }).id;
  } catch {
    return undefined;
  }
}
