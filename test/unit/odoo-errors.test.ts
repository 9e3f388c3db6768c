import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classifyHttpStatus,
  classifyOdooFault,
  isRetryable,
  OdooError,
  type OdooFailureKind,
} from '../../lambdas/adapters/odoo/errors.js';

describe('Odoo faults', () => {
  it.each<[string, string, OdooFailureKind]>([
    ['psycopg2.pool.PoolError', 'The Connection Pool Is Full', 'transient'],
    [
      'psycopg2.errors.SerializationFailure',
      'could not serialize access due to concurrent update',
      'transient',
    ],
    ['psycopg2.extensions.TransactionRollbackError', '', 'transient'],
    ['psycopg2.errors.LockNotAvailable', '', 'transient'],
    ['psycopg2.errors.DeadlockDetected', '', 'transient'],
    ['werkzeug.exceptions.ServiceUnavailable', '', 'transient'],
    ['werkzeug.exceptions.GatewayTimeout', '', 'transient'],
    ['werkzeug.exceptions.TooManyRequests', '', 'transient'],
    ['odoo.exceptions.AccessDenied', 'Access Denied', 'auth'],
    ['werkzeug.exceptions.Unauthorized', '', 'auth'],
    ['odoo.http.SessionExpiredException', 'Session expired', 'auth'],
    [
      'odoo.exceptions.ValidationError',
      'The operation cannot be completed: missing required field',
      'permanent',
    ],
    // A lost race for a sequence number (account_move_unique_name): retried, not the document's fault.
    [
      'odoo.exceptions.ValidationError',
      'The operation cannot be completed: Another entry with the same name already exists.',
      'transient',
    ],
    [
      'odoo.exceptions.ValidationError',
      'duplicate key value violates unique constraint "account_move_unique_name"',
      'transient',
    ],
    ['odoo.exceptions.UserError', 'You cannot modify a posted entry of this journal.', 'permanent'],
    ['odoo.exceptions.MissingError', 'Record does not exist or has been deleted.', 'permanent'],
    [
      'odoo.exceptions.AccessError',
      'Private methods (such as _post) cannot be called remotely.',
      'permanent',
    ],
    ['builtins.AttributeError', "type object 'account.move' has no attribute 'post_it'", 'permanent'],
    ['psycopg2.OperationalError', 'FATAL:  database "rcm" does not exist', 'misconfiguration'],
    ['psycopg2.OperationalError', 'server closed the connection unexpectedly', 'transient'],
    ['odoo.exceptions.ValidationError', 'could not serialize access due to concurrent update', 'transient'],
    ['some.unknown.Fault', 'connection pool is full', 'transient'],
    ['some.unknown.Fault', 'something else', 'permanent'],
  ])('%s ("%s") is %s', (faultName, message, expected) => {
    // Prepare — Odoo's `error.data.name` and `error.data.message` as JSON-RPC returns them

    // Act
    const kind = classifyOdooFault(faultName, message);

    // Assess
    expect(kind).toBe(expected);
  });

  it('a fault without a message is classified by its name alone', () => {
    // Prepare
    const faultName = 'psycopg2.OperationalError';

    // Act
    const kind = classifyOdooFault(faultName);

    // Assess
    expect(kind).toBe('transient');
  });
});

describe('HTTP statuses from Odoo', () => {
  it.each<[number, OdooFailureKind]>([
    [401, 'auth'],
    [403, 'auth'],
    [408, 'transient'],
    [429, 'transient'],
    [500, 'transient'],
    [502, 'transient'],
    [503, 'transient'],
    [504, 'transient'],
    [400, 'permanent'],
    [404, 'permanent'],
    [422, 'permanent'],
  ])('HTTP %s is %s', (status, expected) => {
    // Prepare — see the table

    // Act
    const kind = classifyHttpStatus(status);

    // Assess
    expect(kind).toBe(expected);
  });

  it('every 5xx, including Odoo’s HTML error pages under overload, is worth retrying', () => {
    fc.assert(
      fc.property(fc.integer({ min: 500, max: 599 }), (status) => {
        // Prepare / Act
        const kind = classifyHttpStatus(status);

        // Assess
        expect(kind).toBe('transient');
      }),
    );
  });

  it('every other 4xx is the request’s fault and will not be retried', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 400, max: 499 }).filter((s) => ![401, 403, 408, 429].includes(s)),
        (status) => {
          // Prepare / Act
          const kind = classifyHttpStatus(status);

          // Assess
          expect(kind).toBe('permanent');
        },
      ),
    );
  });
});

describe('retrying', () => {
  it.each<[string, unknown, boolean]>([
    ['a transient Odoo error', new OdooError('transient', 'psycopg2.pool.PoolError', 'pool full'), true],
    [
      'an auth Odoo error (key being rotated)',
      new OdooError('auth', 'odoo.exceptions.AccessDenied', 'denied'),
      true,
    ],
    [
      'a permanent Odoo error',
      new OdooError('permanent', 'odoo.exceptions.ValidationError', 'invalid', 200),
      false,
    ],
    ['a network error', new TypeError('fetch failed'), true],
    ['a thrown non-error', 'ECONNRESET', true],
  ])('%s is retryable: %s', (_name, error, expected) => {
    // Prepare — see the table

    // Act
    const retryable = isRetryable(error);

    // Assess
    expect(retryable).toBe(expected);
  });

  it('an Odoo error carries its kind, fault name and HTTP status', () => {
    // Prepare
    const error = new OdooError('permanent', 'odoo.exceptions.UserError', 'already reconciled', 200);

    // Act
    const { name, kind, faultName, httpStatus, message } = error;

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect({ name, kind, faultName, httpStatus, message }).toEqual({
      name: 'OdooError',
      kind: 'permanent',
      faultName: 'odoo.exceptions.UserError',
      httpStatus: 200,
      message: 'already reconciled',
    });
  });
});
