import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Logs carry ids, states, amounts and error kinds — never names, member ids or bodies (PHI stays out of
 * logs). Service name comes from POWERTOOLS_SERVICE_NAME in AWS; a default keeps local output tidy.
 */
export function createLogger(handler: string): Logger {
  return new Logger({
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'rcm-hub',
    persistentKeys: { handler },
  });
}
