/**
 * What a person's resolve teaches triage: the cause and action they chose go on the resolution, compared with
 * the suggestion on the entry (accepted or overridden, and by which model version); once the resolve is
 * written, it is counted per version in the register and as EMF metrics (TriageSuggestionsAccepted /
 * TriageSuggestionsOverridden, by team).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { TriageStore } from '../../adapters/dynamodb/triage-store.js';
import { createMetrics } from '../../adapters/observability.js';
import type { ExceptionEntry, ResolveExceptionRequest } from '../../core/exceptions.js';
import { feedbackOf } from '../../core/triage/triage.js';
import { METRICS } from '../../metric-names.js';

const metrics = createMetrics('exceptions');

type Resolution = NonNullable<ExceptionEntry['resolution']>;

export function resolutionFeedback(
  entry: ExceptionEntry,
  request: ResolveExceptionRequest,
): Pick<Resolution, 'cause' | 'action' | 'feedback'> {
  return {
    ...(request.cause ? { cause: request.cause } : {}),
    ...(request.action ? { action: request.action } : {}),
    feedback: feedbackOf(entry.triage, request.cause),
  };
}

/** Counts a written resolve against the version that made the suggestion (after the register accepted it). */
export async function countFeedback(store: TriageStore, resolved: ExceptionEntry): Promise<void> {
  const feedback = resolved.resolution?.feedback;
  if (!feedback?.modelVersion) return;
  await store.countFeedback(feedback.modelVersion, feedback.outcome);
  if (feedback.outcome === 'unlabelled') return;
  metrics.addDimension('Team', resolved.team);
  metrics.addMetric(
    feedback.outcome === 'accepted' ? METRICS.triageSuggestionsAccepted : METRICS.triageSuggestionsOverridden,
    MetricUnit.Count,
    1,
  );
  metrics.publishStoredMetrics();
}
