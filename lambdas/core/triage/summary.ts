/**
 * The optional prose summariser (docs/triage.md#summariser): a port a language-model adapter (e.g. Amazon
 * Bedrock) may implement. It is off by default and no adapter is wired in this repository: the triage is
 * complete without it (triage.ts writes its own one-line summary). What it may be fed is decided here, once:
 * the cause, the evidence sentences (fixed vocabulary, reason codes), amounts and the next step — never the
 * exception's free-text reason, ids, payer ids or people's resolution notes, which may carry patient data.
 */
import type { Triage } from './triage.js';

export interface PhiFreeEvidence {
  cause: string;
  causeLabel: string;
  confidence: number;
  evidence: Array<{ text: string; weight: number }>;
  exposureCents: number;
  lossProbability: number;
  nextStep: string;
  similarCauses: string[];
}

export interface EvidenceSummariser {
  summarise(evidence: PhiFreeEvidence): Promise<string>;
}

/** Only what the taxonomy and the signal vocabulary wrote; nothing a partner or a person typed. */
export function phiFreeEvidence(triage: Triage): PhiFreeEvidence {
  return {
    cause: triage.cause,
    causeLabel: triage.causeLabel,
    confidence: triage.confidence,
    evidence: triage.evidence.map((e) => ({ text: e.text, weight: e.weight })),
    exposureCents: triage.exposureCents,
    lossProbability: triage.lossProbability,
    nextStep: triage.nextAction.text,
    similarCauses: triage.similar.flatMap((s) => (s.cause ? [s.cause] : [])),
  };
}

/**
 * The summary to show: the model's prose when a summariser is configured and answers, otherwise the triage's
 * own summary. A failing summariser never fails the triage.
 */
export async function summaryOf(triage: Triage, summariser?: EvidenceSummariser): Promise<string> {
  if (!summariser) return triage.summary;
  try {
    const prose = (await summariser.summarise(phiFreeEvidence(triage))).trim();
    return prose.length > 0 ? prose.slice(0, 2000) : triage.summary;
  } catch {
    return triage.summary;
  }
}
