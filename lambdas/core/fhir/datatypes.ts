import * as z from 'zod';

/**
 * The FHIR R4 data types the hub reads (https://hl7.org/fhir/R4/datatypes.html), as zod schemas. Objects are
 * loose: FHIR lets senders carry elements and extensions we do not read, and refusing them would refuse valid
 * resources. Only what a mapping relies on is checked, with R4's cardinality and primitive rules.
 */

/** R4 `string`: may not be empty or whitespace only (https://hl7.org/fhir/R4/datatypes.html#string). */
export const FhirString = z.string().regex(/\S/, 'a FHIR string may not be empty');

/** R4 `id`: the logical id of a resource ([A-Za-z0-9\-.]{1,64}). */
export const FhirId = z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/, 'must be a FHIR id ([A-Za-z0-9-.]{1,64})');

/** R4 `date` or `dateTime`: we read the calendar date of either (the hub books days, not instants). */
export const FhirDateTime = z
  .string()
  .regex(
    /^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/,
    'must be a FHIR date or dateTime',
  );

export const Coding = z.looseObject({
  system: z.string().optional(),
  version: z.string().optional(),
  code: z.string().optional(),
  display: z.string().optional(),
});
export type Coding = z.infer<typeof Coding>;

export const CodeableConcept = z.looseObject({
  coding: z.array(Coding).optional(),
  text: z.string().optional(),
});
export type CodeableConcept = z.infer<typeof CodeableConcept>;

export const Identifier = z.looseObject({
  use: z.enum(['usual', 'official', 'temp', 'secondary', 'old']).optional(),
  system: z.string().optional(),
  value: z.string().optional(),
});
export type Identifier = z.infer<typeof Identifier>;

export const Reference = z.looseObject({
  reference: z.string().optional(),
  type: z.string().optional(),
  identifier: Identifier.optional(),
  display: z.string().optional(),
});
export type Reference = z.infer<typeof Reference>;

/** R4 `Money`: a JSON number (decimal) and an ISO 4217 code. */
export const Money = z.looseObject({
  value: z.number().optional(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 currency code')
    .optional(),
});
export type Money = z.infer<typeof Money>;

export const Extension = z.looseObject({
  url: z.string(),
  valueReference: Reference.optional(),
  valueString: z.string().optional(),
  valueCode: z.string().optional(),
});
export type Extension = z.infer<typeof Extension>;

/** The codes of a concept, optionally only those in one of `systems`. */
export function codesOf(concept: CodeableConcept | undefined, systems?: readonly string[]): string[] {
  return (concept?.coding ?? [])
    .filter((c) => systems === undefined || (c.system !== undefined && systems.includes(c.system)))
    .flatMap((c) => (c.code === undefined ? [] : [c.code]));
}

/** The first coding of a concept whose system is one of `systems` (or any coding without a system filter). */
export function codingOf(
  concept: CodeableConcept | undefined,
  systems?: readonly string[],
): { coding: Coding; index: number } | undefined {
  const index = (concept?.coding ?? []).findIndex(
    (c) =>
      c.code !== undefined &&
      (systems === undefined || (c.system !== undefined && systems.includes(c.system))),
  );
  const coding = concept?.coding?.[index];
  return coding ? { coding, index } : undefined;
}
