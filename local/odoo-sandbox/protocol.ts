/**
 * Wire formats of Odoo's two external APIs.
 *
 * - JSON-RPC (`/jsonrpc`, Odoo 8-18, deprecated in 19): always HTTP 200; errors live in the body
 *   (odoo/http.py `JsonRPCDispatcher.handle_error`, code 200 + message "Odoo Server Error").
 *   `_response` only sets `result` when it is not None, so a method returning None gives an envelope
 *   with neither `result` nor `error`.
 * - JSON-2 (`/json/2/<model>/<method>`, Odoo 19): raw JSON value on success, and on error the bare
 *   `serialize_exception` dict with a real HTTP status (odoo/http.py `Json2Dispatcher.handle_error`:
 *   `UserError` subclasses carry `http_status`; anything else is 500).
 */
import { OdooError } from './errors.js';

export interface SerializedException {
  name: string;
  message: string;
  arguments: unknown[];
  context: Record<string, unknown>;
  debug: string;
}

export function serializeException(error: unknown): SerializedException {
  if (error instanceof OdooError) {
    return {
      name: error.odooName,
      message: error.message,
      arguments: error.args,
      context: {},
      // AccessDenied suppresses its traceback in Odoo (odoo/exceptions.py `AccessDenied.__init__`).
      debug:
        error.odooName === 'odoo.exceptions.AccessDenied' ? '' : fakeTraceback(error.odooName, error.message),
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    name: 'builtins.Exception',
    message,
    arguments: [message],
    context: {},
    debug: fakeTraceback('builtins.Exception', message),
  };
}

function fakeTraceback(name: string, message: string): string {
  const shortName = name.replace(/^builtins\./, '');
  return `Traceback (most recent call last):\n  File "/opt/odoo-sandbox/odoo/service/model.py", line 0, in dispatch\n${shortName}: ${message}\n`;
}

export type JsonRpcId = string | number | null;

export function jsonRpcResult(id: JsonRpcId, result: unknown): Record<string, unknown> {
  const envelope: Record<string, unknown> = { jsonrpc: '2.0', id };
  // Odoo omits the key entirely for None (see module comment); `undefined` is our None.
  if (result !== undefined && result !== null) envelope.result = result;
  return envelope;
}

export function jsonRpcError(id: JsonRpcId, error: unknown): Record<string, unknown> {
  return {
    jsonrpc: '2.0',
    id,
    error: { code: 200, message: 'Odoo Server Error', data: serializeException(error) },
  };
}

/**
 * HTTP status of a JSON-2 error. Odoo 19 odoo/exceptions.py: UserError (and ValidationError,
 * RedirectWarning) 422, AccessDenied 403, AccessError 403, MissingError 404; other exceptions 500.
 * Bad bearer keys never reach a model: werkzeug Unauthorized, 401.
 */
export function json2Status(name: string): number {
  switch (name) {
    case 'odoo.exceptions.UserError':
    case 'odoo.exceptions.ValidationError':
    case 'odoo.exceptions.RedirectWarning':
      return 422;
    case 'odoo.exceptions.AccessDenied':
    case 'odoo.exceptions.AccessError':
      return 403;
    case 'odoo.exceptions.MissingError':
      return 404;
    case 'werkzeug.exceptions.Unauthorized':
      return 401;
    case 'werkzeug.exceptions.BadRequest':
      return 400;
    case 'werkzeug.exceptions.NotFound':
      return 404;
    default:
      return 500;
  }
}

/** werkzeug's HTML error page, which is what Odoo (and nginx in front of it) send for HTTP-level errors. */
export function htmlErrorPage(status: number, title: string, description: string): string {
  return `<!doctype html>\n<html lang=en>\n<title>${status} ${title}</title>\n<h1>${title}</h1>\n<p>${description}</p>\n`;
}

export const HTML_500 = htmlErrorPage(
  500,
  'Internal Server Error',
  'The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.',
);

export const HTML_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';
