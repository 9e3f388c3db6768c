import { type BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import type { EvidenceSummariser, PhiFreeEvidence } from '../../core/triage/summary.js';

/** What the model is told: write for a finance reader, from this evidence only, and decide nothing. */
export const SUMMARY_INSTRUCTIONS =
  'You explain an exception in a healthcare revenue workflow to a finance or billing reader. ' +
  'Write at most three plain sentences from the JSON evidence given, and nothing else: the probable cause and ' +
  'how sure the triage is, the money at risk, and the next step. Do not invent facts, names or numbers, and do ' +
  'not recommend anything other than the next step given. A person decides.';

/**
 * The optional prose summariser (docs/triage.md#summariser) on Amazon Bedrock's Converse API. Off unless the
 * stage names a model (cdk.json `triage.summaryModelId`); it receives only `PhiFreeEvidence`, the port's
 * decision of what may leave the hub, and answers prose that `summaryOf` falls back from on any failure.
 * Not exercised against Bedrock here: there is no AWS account in this repository's tests or CI.
 */
export class BedrockEvidenceSummariser implements EvidenceSummariser {
  constructor(
    private readonly client: Pick<BedrockRuntimeClient, 'send'>,
    private readonly modelId: string,
    private readonly timeoutMs = 5_000,
  ) {}

  async summarise(evidence: PhiFreeEvidence): Promise<string> {
    const out = await this.client.send(
      new ConverseCommand({
        modelId: this.modelId,
        system: [{ text: SUMMARY_INSTRUCTIONS }],
        messages: [{ role: 'user', content: [{ text: JSON.stringify(evidence) }] }],
        inferenceConfig: { maxTokens: 300, temperature: 0 },
      }),
      { abortSignal: AbortSignal.timeout(this.timeoutMs) },
    );
    return (out.output?.message?.content ?? [])
      .flatMap((block) => (block.text ? [block.text] : []))
      .join('\n');
  }
}
