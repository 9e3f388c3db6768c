import { PutEventsCommand, TestEventPatternCommand } from '@aws-sdk/client-eventbridge';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BusEvent, sqsTarget } from '../../../local/aws/index.js';
import { type Harness, startHarness } from './helpers.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ events: { retryBaseDelayMs: 5, retryMaxDelayMs: 20 } });
});
afterEach(async () => {
  await h.dispose();
});

describe('local EventBridge over the real SDK', () => {
  it('delivers the real envelope asynchronously to matching rules only', async () => {
    const got: BusEvent[] = [];
    const other: BusEvent[] = [];
    // PutEvents must answer while a target is still running (delivery is asynchronous)
    let open: () => void = () => {};
    const gate = new Promise<void>((r) => {
      open = r;
    });
    h.aws.events.addRule({
      name: 'claims',
      pattern: {
        source: ['rcm.claims'],
        'detail-type': ['ClaimSubmitted'],
        detail: { amount: [{ numeric: ['>', 0] }] },
      },
      target: async (e) => {
        await gate;
        got.push(e);
      },
    });
    h.aws.events.addRule({
      name: 'others',
      pattern: { source: ['rcm.other'] },
      target: async (e) => void other.push(e),
    });
    const res = await h.ebClient.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'rcm.claims',
            DetailType: 'ClaimSubmitted',
            Detail: JSON.stringify({ claimId: 'c-1', amount: 12.5 }),
            Resources: ['arn:aws:x:::claim/c-1'],
            Time: new Date('2024-05-01T10:11:12.345Z'),
          },
          { Source: 'rcm.claims', DetailType: 'ClaimSubmitted', Detail: JSON.stringify({ amount: 0 }) },
        ],
      }),
    );
    expect(got).toHaveLength(0);
    open();
    expect(res.FailedEntryCount).toBe(0);
    expect(res.Entries?.every((e) => typeof e.EventId === 'string')).toBe(true);
    await h.aws.events.waitForIdle();
    expect(other).toHaveLength(0);
    expect(got).toHaveLength(1);
    expect(got[0]).toEqual({
      version: '0',
      id: res.Entries?.[0]?.EventId,
      'detail-type': 'ClaimSubmitted',
      source: 'rcm.claims',
      account: '000000000000',
      time: '2024-05-01T10:11:12Z',
      region: 'us-east-1',
      resources: ['arn:aws:x:::claim/c-1'],
      detail: { claimId: 'c-1', amount: 12.5 },
    });
    expect(h.aws.events.listArchivedEvents()).toHaveLength(2);
  });

  it('reports malformed / missing fields per entry and rejects oversize requests', async () => {
    const res = await h.ebClient.send(
      new PutEventsCommand({
        Entries: [
          { Source: 's', DetailType: 'd', Detail: 'not json' },
          { Source: 's', DetailType: 'd', Detail: '[1,2]' },
          { Source: 's', DetailType: 'd', Detail: '{}' },
          { Source: 's', DetailType: 'd', Detail: '{}', EventBusName: 'nope' },
          { DetailType: 'd', Detail: '{}' },
        ],
      }),
    );
    expect(res.FailedEntryCount).toBe(4);
    expect(res.Entries?.map((e) => e.ErrorCode ?? 'ok')).toEqual([
      'MalformedDetail',
      'MalformedDetail',
      'ok',
      'ResourceNotFoundException',
      'InvalidArgument',
    ]);
    const big = 'x'.repeat(256 * 1024);
    const err = await h.ebClient
      .send(
        new PutEventsCommand({
          Entries: [{ Source: 's', DetailType: 'd', Detail: JSON.stringify({ big }) }],
        }),
      )
      .catch((e: unknown) => e as Error);
    expect((err as Error).name).toBe('ValidationException');
  });

  it('retries a failing target with backoff, then dead-letters it', async () => {
    let calls = 0;
    const dead: Array<{ event: BusEvent; error: unknown }> = [];
    h.aws.events.addRule({
      name: 'flaky',
      pattern: { source: ['s'] },
      retry: { maximumRetryAttempts: 3 },
      target: async () => {
        calls++;
        throw new Error(`fail ${calls}`);
      },
      onDeadLetter: (event, error) => dead.push({ event, error }),
    });
    let recovered = 0;
    h.aws.events.addRule({
      name: 'recovers',
      pattern: { source: ['s'] },
      target: async () => {
        recovered++;
        if (recovered < 2) throw new Error('transient');
      },
    });
    await h.ebClient.send(
      new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{"k":1}' }] }),
    );
    await h.aws.events.waitForIdle();
    expect(calls).toBe(4);
    expect(dead).toHaveLength(1);
    expect(String(dead[0]?.error)).toBe('Error: fail 4');
    expect(dead[0]?.event.detail).toEqual({ k: 1 });
    expect(recovered).toBe(2);
    expect(h.aws.events.deadLetters.map((d) => d.ruleName)).toEqual(['flaky']);
  });

  it('routes to an SQS FIFO target; TestEventPattern works over the wire', async () => {
    const url = h.aws.sqs.createQueue('events.fifo', { contentBasedDeduplication: true });
    h.aws.events.createEventBus('hub');
    h.aws.events.addRule({
      name: 'to-queue',
      eventBusName: 'hub',
      pattern: { detail: { tenant: [{ prefix: 'acme' }] } },
      target: sqsTarget(h.aws.sqs, url, {
        messageGroupId: (e) => String((e.detail as { tenant: string }).tenant),
      }),
    });
    await h.ebClient.send(
      new PutEventsCommand({
        Entries: [{ Source: 's', DetailType: 'd', Detail: '{"tenant":"acme-1"}', EventBusName: 'hub' }],
      }),
    );
    await h.aws.events.waitForIdle();
    const r = await h.sqsClient.send(
      new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ['All'] }),
    );
    expect(JSON.parse(r.Messages?.[0]?.Body ?? '{}')).toMatchObject({
      source: 's',
      detail: { tenant: 'acme-1' },
    });
    expect(r.Messages?.[0]?.Attributes?.MessageGroupId).toBe('acme-1');

    const t = await h.ebClient.send(
      new TestEventPatternCommand({ EventPattern: '{"source":["a"]}', Event: '{"source":"a","detail":{}}' }),
    );
    expect(t.Result).toBe(true);
    const bad = await h.ebClient
      .send(new TestEventPatternCommand({ EventPattern: '{"source":"a"}', Event: '{}' }))
      .catch((e: unknown) => e as Error);
    expect((bad as Error).name).toBe('InvalidEventPatternException');
  });
});
