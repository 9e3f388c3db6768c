import {
  GetEventSourceMappingCommand,
  InvokeCommand,
  type LambdaClient,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * The AWS switch of the Odoo writers (issue 12): the writer's SQS event source mapping. Disabled, Lambda stops
 * polling the queue, so no message is received and no receive count grows however long Odoo is down (reserved
 * concurrency 0 would not do that: the poller keeps receiving, the invocation is throttled and the message
 * comes back after the visibility timeout with one receive spent — docs/operations.md#odoo-outage-breaker-and-duplicates).
 * `Enabling`/`Disabling`/`Updating` read as undefined: the mapping is changing state; the probe waits.
 */
export class EventSourceMappingSwitch {
  constructor(
    private readonly client: LambdaClient,
    private readonly uuid: string,
  ) {}

  async enabled(): Promise<boolean | undefined> {
    const out = await this.client.send(new GetEventSourceMappingCommand({ UUID: this.uuid }));
    if (out.State === 'Enabled') return true;
    if (out.State === 'Disabled') return false;
    return undefined;
  }

  async setEnabled(enabled: boolean): Promise<void> {
    await this.client.send(new UpdateEventSourceMappingCommand({ UUID: this.uuid, Enabled: enabled }));
  }
}

/** Messages on the queue: visible, in flight and delayed (all of them are still to be written). */
export async function queueBacklog(client: SQSClient, queueUrl: string): Promise<number> {
  const out = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  const a = out.Attributes ?? {};
  return (
    Number(a.ApproximateNumberOfMessages ?? 0) +
    Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(a.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/**
 * The writer wakes the probe the moment the breaker opens (an asynchronous invoke: the writer does not wait),
 * so the event source mapping is disabled within seconds rather than at the probe's next scheduled minute.
 */
export async function wakeProbe(client: LambdaClient, functionName: string): Promise<void> {
  await client.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'Event',
      Payload: new TextEncoder().encode(JSON.stringify({ reason: 'breaker-opened' })),
    }),
  );
}
