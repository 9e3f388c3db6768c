import type * as z from 'zod';

/**
 * OperationOutcome (https://hl7.org/fhir/R4/operationoutcome.html): how the FHIR edge answers errors and
 * reports what it accepted. `expression` holds FHIRPath-like locations (`ClaimResponse.item[0].adjudication[1]`,
 * `Bundle.entry[2].resource.identifier`), as R4 prefers over the deprecated XPath `location`.
 */
export type IssueSeverity = 'fatal' | 'error' | 'warning' | 'information';

/** The R4 IssueType codes the hub uses (http://hl7.org/fhir/issue-type). */
export type IssueType =
  | 'invalid'
  | 'structure'
  | 'required'
  | 'value'
  | 'invariant'
  | 'security'
  | 'forbidden'
  | 'processing'
  | 'not-supported'
  | 'duplicate'
  | 'multiple-matches'
  | 'not-found'
  | 'too-long'
  | 'code-invalid'
  | 'business-rule'
  | 'conflict'
  | 'transient'
  | 'exception'
  | 'informational';

export interface FhirIssue {
  severity: IssueSeverity;
  code: IssueType;
  diagnostics: string;
  expression?: string[];
}

export interface OperationOutcome {
  resourceType: 'OperationOutcome';
  issue: FhirIssue[];
}

export function operationOutcome(issues: FhirIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues };
}

export function issue(
  severity: IssueSeverity,
  code: IssueType,
  diagnostics: string,
  expression?: string,
): FhirIssue {
  return { severity, code, diagnostics, ...(expression === undefined ? {} : { expression: [expression] }) };
}

export const isError = (i: FhirIssue) => i.severity === 'error' || i.severity === 'fatal';

/**
 * The HTTP status for a set of error issues (R4 http.html#2.21.0.9): 400 when the content cannot be read as
 * the resource (structure, required elements, bad values), 422 when it is a valid resource the hub will not
 * book (business rules, unknown claim, not supported), 409 for a conflict with what was already accepted.
 */
export function statusFor(issues: FhirIssue[]): number {
  const errors = issues.filter(isError);
  if (errors.some((i) => ['structure', 'required', 'value', 'invalid', 'too-long'].includes(i.code)))
    return 400;
  if (errors.some((i) => i.code === 'conflict' || i.code === 'duplicate')) return 409;
  if (errors.some((i) => i.code === 'forbidden' || i.code === 'security')) return 403;
  return 422;
}

/** A zod path as FHIRPath below `root`: `['item', 0, 'adjudication', 1]` → `ClaimResponse.item[0].adjudication[1]`. */
export function fhirPath(root: string, path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>(
    (acc, segment) => (typeof segment === 'number' ? `${acc}[${segment}]` : `${acc}.${String(segment)}`),
    root,
  );
}

/** zod issues of a resource schema → OperationOutcome issues with FHIRPath expressions. */
export function schemaIssues(error: z.ZodError, root: string): FhirIssue[] {
  return error.issues.map((i) => {
    const missing = i.code === 'invalid_type' && /received undefined/.test(i.message);
    const code: IssueType = missing ? 'required' : i.code === 'invalid_value' ? 'code-invalid' : 'structure';
    return issue('error', code, missing ? 'required element is missing' : i.message, fhirPath(root, i.path));
  });
}
