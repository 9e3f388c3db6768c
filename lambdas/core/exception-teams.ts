/**
 * The teams exceptions are routed to. Its own module so that core/partners.ts (in nearly every handler) reads
 * the names without bundling the exception register's schemas and the triage model behind core/exceptions.ts
 * (issue 16, docs/benchmarks.md).
 */
export const EXCEPTION_TEAMS = ['billing', 'finance', 'integration'] as const;
export type ExceptionTeam = (typeof EXCEPTION_TEAMS)[number];
