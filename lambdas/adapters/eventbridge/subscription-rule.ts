import { type EventBridgeClient, PutRuleCommand } from '@aws-sdk/client-eventbridge';
import { narrowedEventRoutes } from '../../webhook-subscriptions-route.js';
import type { EventRoute } from '../../wiring.js';

/**
 * The WebhookSubscriptions rule (wiring.ts eventRoutes, `narrowedToSubscribedTypes`), kept matching only the
 * event types some subscription wants: EventBridge then invokes webhookFanout for those events alone, instead
 * of for every business event (docs/cost.md). With no subscription at all the rule is disabled. PutRule keeps
 * the rule's targets; only its pattern and state change.
 */
export class SubscriptionRule {
  private readonly busName: string;
  private readonly ruleName: string;
  private readonly route: EventRoute;

  /** `ruleArn`: `arn:aws:events:<region>:<account>:rule/<bus>/<rule>` (env WEBHOOK_SUBSCRIPTIONS_RULE_ARN). */
  constructor(
    private readonly client: EventBridgeClient,
    ruleArn: string,
  ) {
    const path = ruleArn.split(':rule/')[1] ?? '';
    const slash = path.lastIndexOf('/');
    this.busName = slash > 0 ? path.slice(0, slash) : 'default';
    this.ruleName = path.slice(slash + 1);
    const route = narrowedEventRoutes.find((r) => r.name === this.ruleName);
    if (!route) throw new Error(`${ruleArn} is not a wiring.ts event route narrowed to subscribed types`);
    this.route = route;
  }

  /**
   * Narrows the rule to the types `subscribedTypes` reads, then reads again until two reads agree (at most 3
   * rounds): of two writers racing, the last to write also reads last, after every subscription the other saw.
   */
  async sync(subscribedTypes: () => Promise<Iterable<string>>): Promise<void> {
    let written: string | undefined;
    for (let round = 0; round < 3; round++) {
      const types = [...new Set(await subscribedTypes())].sort();
      if (types.join() === written) return;
      await this.narrowTo(types);
      written = types.join();
    }
  }

  /** Matches exactly `eventTypes` (of those the deployed pattern allows); disabled when there is none. */
  async narrowTo(eventTypes: Iterable<string>): Promise<void> {
    const { pattern, enabled } = narrowedPattern(this.route.pattern, eventTypes);
    await this.client.send(
      new PutRuleCommand({
        Name: this.ruleName,
        EventBusName: this.busName,
        Description: this.route.description,
        EventPattern: JSON.stringify(pattern),
        State: enabled ? 'ENABLED' : 'DISABLED',
      }),
    );
  }
}

/**
 * The deployed pattern with its detail-types cut down to `eventTypes`, sorted (so equal sets give equal
 * patterns); no type left: the deployed pattern, disabled (a pattern cannot list nothing).
 */
export function narrowedPattern(
  deployed: Record<string, unknown>,
  eventTypes: Iterable<string>,
): { pattern: Record<string, unknown>; enabled: boolean } {
  const allowed = new Set((deployed['detail-type'] as string[] | undefined) ?? []);
  const wanted = [...new Set(eventTypes)].filter((t) => allowed.has(t)).sort();
  if (wanted.length === 0) return { pattern: deployed, enabled: false };
  return { pattern: { ...deployed, 'detail-type': wanted }, enabled: true };
}
