import type { z } from 'zod';
import { fieldErrors, ProblemType } from '../../lambdas/adapters/http/problem.js';
import type { ErrorCase } from './operations.js';

/**
 * The 400 a list route answers for a bad query (parseQuery in lambdas/adapters/http/api-request.ts), with the
 * errors its own schema gives for `bad` — so the documented example is what the handler says.
 */
export function invalidQueryCase(
  schema: z.ZodType,
  bad: Record<string, string> = { limit: '500' },
): ErrorCase {
  const parsed = schema.safeParse(bad);
  const errors = parsed.success
    ? []
    : fieldErrors(parsed.error).map((e) => ({ ...e, path: `query:${e.path.slice(1)}` }));
  return {
    status: 400,
    type: ProblemType.validation,
    title: 'Invalid query',
    when: 'a query parameter breaks its rule, or is not one of the listed parameters (errors[] paths are query:<name>)',
    detail: 'The query parameters do not match the contract.',
    by: 'handler',
    errors,
  };
}
