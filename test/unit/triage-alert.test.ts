import type { SNSClient } from '@aws-sdk/client-sns';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BedrockEvidenceSummariser,
  SUMMARY_INSTRUCTIONS,
} from '../../lambdas/adapters/bedrock/evidence-summariser.js';
import { AlertPublisher, alertTopicsFrom } from '../../lambdas/adapters/sns/alert-publisher.js';
import {
  type AlertSubject,
  anomalyClearedAlert,
  exceptionAlert,
  snsSubject,
} from '../../lambdas/core/triage/alert.js';
import { DEFAULT_WINDOWS } from '../../lambdas/core/triage/exposure.js';
import { train } from '../../lambdas/core/triage/model.js';
import { phiFreeEvidence, summaryOf } from '../../lambdas/core/triage/summary.js';
import { triage } from '../../lambdas/core/triage/triage.js';

/**
 * Issue 17: the SNS alert of a newly registered exception carries the triage's probable cause with its
 * confidence, the money at risk and the next action, in plain words, and nothing that could be patient data.
 */
const OPENED = '2026-03-02T09:00:00Z';
const NOW = Date.parse('2026-03-02T10:00:00Z');
const ID = 'f25ea16c-4a8c-5d9d-9916-3deba6fe8308';
const model = train([]);

function entry(overrides: Partial<AlertSubject & { redriveKind: string; encounterId: string }> = {}) {
  return {
    id: ID,
    key: 'era:R1:denied',
    team: 'billing',
    reason:
      'claim CLM-88213 denied by payer PAYER-1 (claim status 4): CO-197, CO-45; patient Jane Roe MRN 00912 (encounter ENC-55102)',
    amountCents: 1_234_56,
    payerId: 'PAYER-1',
    facilityId: 'FAC-NORTH',
    openedAt: OPENED,
    attempt: 0,
    redriveKind: 'none',
    encounterId: 'ENC-55102',
    ...overrides,
  };
}

const triaged = (e: ReturnType<typeof entry>) =>
  triage(e, { model, now: NOW, windows: DEFAULT_WINDOWS, resolved: [] });

describe('exception alert (SNS) with cause, exposure and next action', () => {
  it('says the probable cause with its confidence, the money at risk and the next action with its API call', () => {
    // Prepare
    const e = entry();
    const t = triaged(e);

    // Act
    const alert = exceptionAlert(e, t);

    // Assess
    expect(t.cause).toBe('denial_authorization');
    expect(alert.team).toBe('billing');
    expect(alert.subject).toBe(
      `[billing] Payer denial: authorization or referral: $${(t.exposureCents / 100).toFixed(2)} at risk`,
    );
    expect(alert.message).toContain(
      `Probable cause: Payer denial: authorization or referral, ${Math.round(t.confidence * 100)} % confidence`,
    );
    expect(alert.message).toMatch(
      /Why:\n- Reason code 197 \(authorization or referral\): strongly points to/,
    );
    expect(alert.message).toContain(
      `Revenue at risk: $${(t.exposureCents / 100).toFixed(2)} of $1,234.56 at stake (${Math.round(t.lossProbability * 100)} % likely to be lost if nobody acts).`,
    );
    expect(alert.message).toContain(
      `Next action: ${t.nextAction.text} API: POST /v1/exceptions/${ID}/resolve.`,
    );
    expect(alert.message).toContain('Payer PAYER-1, facility FAC-NORTH');
    expect(alert.message).toContain(`model ${t.modelVersion}; a person decides`);
  });

  it('carries no reason text, claim, encounter or patient data', () => {
    const e = entry();
    const alert = exceptionAlert(e, triaged(e));
    for (const secret of ['CLM-88213', 'Jane', 'Roe', '00912', 'ENC-55102', 'MRN'])
      expect(`${alert.subject}\n${alert.message}`).not.toContain(secret);
  });

  it('never points to a workflow route (its path would carry an encounter id)', () => {
    const e = entry({
      key: 'recon:missing_in_odoo:R1',
      team: 'finance',
      reason: 'Odoo payment 41 of 90.00 from payer PAYER-1 is applied to no invoice',
    });
    const t = triaged(e);
    const withWorkflowCall = {
      ...t,
      nextAction: { ...t.nextAction, api: { method: 'GET' as const, path: '/v1/workflows/ENC-55102' } },
    };
    const alert = exceptionAlert(e, withWorkflowCall);
    expect(alert.message).not.toContain('ENC-55102');
    expect(alert.message).toContain(`GET /v1/exceptions/${ID}/triage`);
  });

  it('a payer anomaly says what moved, without the claims behind it', () => {
    const e = entry({
      key: 'anomaly:denial-rate:PAYER-1:2026-03-02',
      reason:
        'Payer PAYER-1: denial rate 31 % over the last 50 claims against 8 % ± 2 % for 28 days. Claims: CLM-1, CLM-2.',
      amountCents: 52_000_00,
    });
    const alert = exceptionAlert(e, triaged(e));
    expect(alert.message).toContain(
      'What moved: Payer PAYER-1: denial rate 31 % over the last 50 claims against 8 % ± 2 % for 28 days.',
    );
    expect(alert.message).toContain('Probable cause: Payer payment anomaly');
    expect(alert.message).not.toContain('CLM-');
  });

  it('a payer anomaly that clears by itself says so once more, with the statistics now', () => {
    const alert = anomalyClearedAlert({
      exceptionId: ID,
      team: 'billing',
      metric: 'denial-rate',
      explanation:
        'Payer PAYER-1@FAC-C: denial rate 9 % over the last 50 claims against 8 % ± 2 % for 28 days',
    });
    expect(alert.subject).toBe('[billing] Cleared: PAYER-1@FAC-C denial rate back to normal');
    expect(alert.message).toContain(`Exception ${ID} was closed as cleared`);
    expect(alert.message).toContain('Now: Payer PAYER-1@FAC-C: denial rate 9 % over the last 50 claims');
    const odd = anomalyClearedAlert({
      exceptionId: ID,
      team: 'finance',
      metric: 'volume',
      explanation: 'CLM-9 x',
    });
    expect(odd.message).not.toContain('CLM-9');
  });

  it('without a triage it still alerts, with the money at stake and where to look', () => {
    const alert = exceptionAlert(entry(), undefined);
    expect(alert.subject).toBe('[billing] The remittance was not posted (denied)');
    expect(alert.message).toContain('Money at stake: $1,234.56. No triage yet');
    expect(alert.message).not.toContain('CLM-88213');
  });

  it('for any reason text and ids, nothing of the reason reaches the alert, and the subject is valid for SNS', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 12, maxLength: 200 }),
        fc.constantFrom(
          'era:R1:denied',
          'odoo-write:evt-1',
          'held:evt-2',
          'anomaly:volume:PAYER-1:d',
          'sla:x',
        ),
        fc.integer({ min: -10_000_000, max: 10_000_000 }),
        (reason, key, amountCents) => {
          const marked = `«${reason}»`;
          const e = entry({ key, reason: marked, amountCents, encounterId: marked });
          const alert = exceptionAlert(e, triaged(e));
          expect(alert.message).not.toContain(marked);
          expect(alert.subject).toMatch(/^[\x20-\x7e]{1,99}$/);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('SNS subjects become printable ASCII under 100 characters', () => {
    expect(snsSubject('[billing] Payer’s “odd” — case\n€5')).toBe(`[billing] Payer's "odd" - case5`);
    expect(snsSubject('x'.repeat(300))).toHaveLength(99);
  });
});

describe('AlertPublisher (SNS adapter)', () => {
  const topics = alertTopicsFrom(
    JSON.stringify({
      billing: 'arn:aws:sns:us-east-1:123456789012:rcm-hub-dev-billing-alerts',
      finance: 'arn:aws:sns:us-east-1:123456789012:rcm-hub-dev-finance-alerts',
    }),
  );

  function fakeSns() {
    const sent: Array<Record<string, unknown>> = [];
    const client = {
      send: async (command: { input: Record<string, unknown> }) => {
        sent.push(command.input);
        return { MessageId: 'm-1' };
      },
    } as unknown as SNSClient;
    return { client, sent };
  }

  it("publishes the alert to its team's topic, subject and message as built", async () => {
    const { client, sent } = fakeSns();
    const alert = exceptionAlert(entry(), triaged(entry()));
    expect(await new AlertPublisher(client, topics).publish(alert)).toBe(true);
    expect(sent).toEqual([
      {
        TopicArn: 'arn:aws:sns:us-east-1:123456789012:rcm-hub-dev-billing-alerts',
        Subject: alert.subject,
        Message: alert.message,
      },
    ]);
  });

  it('a team without a topic gets nothing; a malformed topic map is refused at start', async () => {
    const { client, sent } = fakeSns();
    const alert = { ...exceptionAlert(entry(), undefined), team: 'integration' };
    expect(await new AlertPublisher(client, topics).publish(alert)).toBe(false);
    expect(sent).toHaveLength(0);
    expect(alertTopicsFrom(undefined)).toEqual({});
    expect(() => alertTopicsFrom('{"billing":"not-an-arn"}')).toThrow();
  });
});

describe('Bedrock summariser adapter (optional, off by default)', () => {
  function fakeBedrock(answer: string | Error) {
    const sent: Array<Record<string, unknown>> = [];
    const client = {
      send: async (command: { input: Record<string, unknown> }) => {
        sent.push(command.input);
        if (answer instanceof Error) throw answer;
        return { output: { message: { role: 'assistant', content: [{ text: answer }] } } };
      },
    };
    return { client, sent };
  }

  it('sends the model only the PHI-free evidence, with the instructions, and shows its prose', async () => {
    // Prepare
    const e = entry();
    const t = triaged(e);
    const { client, sent } = fakeBedrock('An authorization denial; appeal it.');
    const summariser = new BedrockEvidenceSummariser(client, 'anthropic.claude-3-haiku-20240307-v1:0');

    // Act
    const summary = await summaryOf(t, summariser);

    // Assess
    expect(summary).toBe('An authorization denial; appeal it.');
    expect(sent).toHaveLength(1);
    const input = sent[0] as {
      modelId: string;
      system: Array<{ text: string }>;
      messages: Array<{ role: string; content: Array<{ text: string }> }>;
      inferenceConfig: { temperature: number };
    };
    expect(input.modelId).toBe('anthropic.claude-3-haiku-20240307-v1:0');
    expect(input.system).toEqual([{ text: SUMMARY_INSTRUCTIONS }]);
    expect(input.inferenceConfig.temperature).toBe(0);
    expect(input.messages).toHaveLength(1);
    expect(JSON.parse(input.messages[0]?.content[0]?.text as string)).toEqual(phiFreeEvidence(t));
    const everything = JSON.stringify(input);
    for (const secret of ['CLM-88213', 'Jane', 'Roe', '00912', 'ENC-55102', 'PAYER-1', 'FAC-NORTH', ID])
      expect(everything).not.toContain(secret);
  });

  it("a failing model leaves the triage's own summary", async () => {
    const t = triaged(entry());
    const { client } = fakeBedrock(new Error('ThrottlingException'));
    expect(await summaryOf(t, new BedrockEvidenceSummariser(client, 'm.x'))).toBe(t.summary);
  });
});
