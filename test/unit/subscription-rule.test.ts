import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { narrowedPattern, SubscriptionRule } from '../../lambdas/adapters/eventbridge/subscription-rule.js';
import { SUBSCRIBABLE_EVENT_TYPES } from '../../lambdas/core/webhooks/subscriptions.js';
import { narrowedEventRoutes } from '../../lambdas/webhook-subscriptions-route.js';
import { eventRoutes } from '../../lambdas/wiring.js';
import { type LocalAws, startLocalAws } from '../../local/aws/server.js';

const route = eventRoutes.find((r) => r.narrowedToSubscribedTypes);
if (!route) throw new Error('no narrowed route');

describe('the fan-out rule follows the subscribed event types (docs/cost.md)', () => {
  it('knows exactly the event routes wiring.ts narrows (its own module, issue 16)', () => {
    expect(narrowedEventRoutes).toEqual(eventRoutes.filter((r) => r.narrowedToSubscribedTypes));
  });

  it('lists exactly the subscribed types the deployed pattern allows, sorted and once', () => {
    const [a, b] = SUBSCRIBABLE_EVENT_TYPES;
    const { pattern, enabled } = narrowedPattern(route.pattern, [
      b as string,
      a as string,
      b as string,
      'Nope',
    ]);
    expect(enabled).toBe(true);
    expect(pattern['detail-type']).toEqual([a, b].sort());
  });

  it('is disabled, with the deployed pattern, when nothing is subscribed', () => {
    expect(narrowedPattern(route.pattern, [])).toEqual({ pattern: route.pattern, enabled: false });
  });

  describe('on the local bus', () => {
    let aws: LocalAws;
    const delivered: string[] = [];
    beforeAll(async () => {
      aws = await startLocalAws({ port: 0 });
      aws.events.createEventBus('rcm-hub-test');
      aws.events.addRule({
        name: route.name,
        eventBusName: 'rcm-hub-test',
        pattern: route.pattern,
        target: async (event) => {
          delivered.push(event['detail-type']);
        },
      });
    });
    afterAll(async () => {
      await aws?.close();
    });

    it('invokes the target only for subscribed types, and for none once the rule is disabled', async () => {
      // Prepare
      const client = new EventBridgeClient({
        endpoint: aws.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
      });
      const rule = new SubscriptionRule(
        client,
        `arn:aws:events:us-east-1:000000000000:rule/rcm-hub-test/${route.name}`,
      );
      const [wanted, other] = SUBSCRIBABLE_EVENT_TYPES as readonly string[];
      const publish = (type: string) =>
        aws.events.putEvents([
          { EventBusName: 'rcm-hub-test', Source: 'test', DetailType: type, Detail: '{}' },
        ]);

      // Act
      await rule.sync(async () => [wanted as string]);
      publish(wanted as string);
      publish(other as string);
      await aws.events.waitForIdle();
      const whileSubscribed = [...delivered];
      await rule.sync(async () => []);
      publish(wanted as string);
      await aws.events.waitForIdle();

      // Assess
      expect(whileSubscribed).toEqual([wanted]);
      expect(delivered).toEqual([wanted]);
      client.destroy();
    });
  });
});
