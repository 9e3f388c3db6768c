/**
 * The alert a person receives when an exception opens (docs/triage.md#alerts): what happened, the triage's
 * probable cause with its confidence, the money at risk and the next action, in plain words. SNS e-mail leaves
 * the hub's encrypted stores, so the alert is built only from what cannot carry patient data: the taxonomy,
 * the signal vocabulary, amounts, the exception's own id and the payer's or facility's code (organisations, not
 * people). Never the free-text reason, encounter or claim ids, subjects or people's notes. Pure: the SNS
 * adapter (lambdas/adapters/sns/) only delivers what this builds.
 */
import { keyKind, kindText } from './signals.js';
import { TAXONOMY } from './taxonomy.js';
import { formatDollars, type Triage } from './triage.js';

export interface AlertSubject {
  id: string;
  key: string;
  team: string;
  reason: string;
  amountCents: number;
  payerId?: string;
  facilityId?: string;
  openedAt: string;
}

export interface ExceptionAlert {
  /** The audience whose topic receives it (the exception's team). */
  team: string;
  /** Printable ASCII under 100 characters (what SNS accepts as an e-mail subject). */
  subject: string;
  message: string;
}

/** An organisation code as the hub's producers write them (PAYER-01, FAC-NORTH); anything else is left out. */
const ORGANISATION_CODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** The explanation the payer-insights sweep writes (lambdas/core/insights/anomaly.ts), before its claim ids. */
const ANOMALY_EXPLANATION = /^Payer [A-Za-z0-9._@-]{1,130}: [^\n]{1,400}$/;

/** Evidence sentences shown: the strongest that support the choice (all from the signal vocabulary). */
const EVIDENCE_LINES = 3;

const percent = (p: number): string => `${Math.round(p * 100)} %`;

/**
 * For anomaly exceptions only, the sweep's own statistics sentence ("Payer X: denial rate 31 % over the last
 * 50 claims against 8 % ± 2 % for 28 days"); it names no claim (the claim ids follow it and are cut off).
 */
function anomalyExplanation(subject: AlertSubject): string | undefined {
  if (!subject.key.startsWith('anomaly:')) return undefined;
  const head = subject.reason.split(/\.\s+Claims: /)[0]?.replace(/\.$/, '') ?? '';
  return ANOMALY_EXPLANATION.test(head) ? head : undefined;
}

export function exceptionAlert(subject: AlertSubject, triage: Triage | undefined): ExceptionAlert {
  const what = kindText(keyKind(subject.key));
  const link = `GET /v1/exceptions/${subject.id}/triage`;
  const lines: string[] = [
    `New exception for ${subject.team}: ${what}.`,
    `Exception ${subject.id} (${link}).`,
  ];
  const payer = subject.payerId && ORGANISATION_CODE.test(subject.payerId) ? subject.payerId : undefined;
  const facility =
    subject.facilityId && ORGANISATION_CODE.test(subject.facilityId) ? subject.facilityId : undefined;
  if (payer || facility)
    lines.push(
      [payer ? `Payer ${payer}` : '', facility ? `facility ${facility}` : ''].filter(Boolean).join(', '),
    );
  const explanation = anomalyExplanation(subject);
  if (explanation) lines.push(`What moved: ${explanation}.`);
  const stake = formatDollars(Math.abs(subject.amountCents));

  if (!triage) {
    lines.push(
      `Money at stake: ${stake}. No triage yet (it is added at the next retrain); the reason and the runbook are at ${link}.`,
    );
    return {
      team: subject.team,
      subject: snsSubject(`[${subject.team}] ${capitalise(what)}`),
      message: lines.join('\n'),
    };
  }

  const runnerUp = triage.alternatives[0];
  lines.push(
    `Probable cause: ${triage.causeLabel}, ${percent(triage.confidence)} confidence` +
      (runnerUp
        ? ` (next most likely: ${TAXONOMY[runnerUp.cause].label}, ${percent(runnerUp.probability)})`
        : '') +
      '.',
  );
  const why = triage.evidence.filter((e) => e.weight > 0).slice(0, EVIDENCE_LINES);
  if (why.length) lines.push('Why:', ...why.map((e) => `- ${e.text}`));
  lines.push(
    `Revenue at risk: ${formatDollars(triage.exposureCents)} of ${stake} at stake (${percent(triage.lossProbability)} likely to be lost if nobody acts).`,
  );
  const api = triage.nextAction.api;
  // Only the exception's own routes: another path (a workflow's) would put an encounter id in an e-mail.
  const call = api?.path.startsWith(`/v1/exceptions/${subject.id}`) ? ` API: ${api.method} ${api.path}.` : '';
  lines.push(`Next action: ${triage.nextAction.text}${call} Runbook: ${triage.nextAction.runbook}.`);
  lines.push(
    `This is a suggestion by model ${triage.modelVersion}; a person decides. Resolving with the cause you found (POST /v1/exceptions/${subject.id}/resolve) teaches the model.`,
  );
  return {
    team: subject.team,
    subject: snsSubject(
      `[${subject.team}] ${triage.causeLabel}: ${formatDollars(triage.exposureCents)} at risk`,
    ),
    message: lines.join('\n'),
  };
}

/**
 * The second and last alert of a payer anomaly: it cleared by itself (the payer is back to normal) and its
 * exception was closed as `cleared`. Built from the sweep's own statistics sentence only, as the opening one.
 */
export function anomalyClearedAlert(input: {
  exceptionId: string;
  team: string;
  metric: string;
  explanation?: string;
}): ExceptionAlert {
  const what = input.metric.replace(/-/g, ' ');
  const now =
    input.explanation && ANOMALY_EXPLANATION.test(input.explanation) ? input.explanation : undefined;
  const scope = now?.match(/^Payer ([^:]+):/)?.[1];
  const lines = [
    `Cleared for ${input.team}: the payer's ${what} is back to normal${scope ? ` (${scope})` : ''}.`,
    `Exception ${input.exceptionId} was closed as cleared (GET /v1/exceptions/${input.exceptionId}).`,
    ...(now ? [`Now: ${now}.`] : []),
    'Nothing to do unless you disagree: the exception keeps its audit trail, and a new episode opens a new exception.',
  ];
  return {
    team: input.team,
    subject: snsSubject(`[${input.team}] Cleared: ${scope ? `${scope} ` : ''}${what} back to normal`),
    message: lines.join('\n'),
  };
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** SNS subjects are printable ASCII without line breaks, under 100 characters. */
export function snsSubject(text: string): string {
  return text
    .replace(/[‘’]/g, "'")
    .replace(/[“”]/g, '"')
    .replace(/[–—]/g, '-')
    .normalize('NFKD')
    .replace(/[^\x20-\x7e]/g, '')
    .slice(0, 99);
}
