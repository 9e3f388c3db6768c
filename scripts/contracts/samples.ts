import { eventTypes } from './events.js';
import { readRepoJson } from './files.js';
import type { Samples } from './operations.js';

export const REQUEST_SAMPLES = { submitInvoice: 'events/samples/requests/submit-invoice.json' } as const;

export function eventSamplePath(type: string): string {
  return `events/samples/${type}.json`;
}

/** The checked-in samples (events/samples), which the generated documents use as examples. */
export function loadSamples(): Samples {
  return {
    request: readRepoJson(REQUEST_SAMPLES.submitInvoice),
    events: Object.fromEntries(
      eventTypes.map((type) => [type, readRepoJson(eventSamplePath(type))]),
    ) as Samples['events'],
  };
}
