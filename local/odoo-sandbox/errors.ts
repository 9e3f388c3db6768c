/**
 * Odoo exceptions as the RPC layer serialises them (odoo/http.py `serialize_exception`):
 * `name` is the Python qualified class name, `arguments` the exception args.
 */
export class OdooError extends Error {
  constructor(
    readonly odooName: string,
    message: string,
    readonly args: unknown[] = [message],
  ) {
    super(message);
  }
}

export const userError = (message: string) => new OdooError('odoo.exceptions.UserError', message);
export const validationError = (message: string) => new OdooError('odoo.exceptions.ValidationError', message);
export const missingError = (message: string) => new OdooError('odoo.exceptions.MissingError', message);
export const accessError = (message: string) => new OdooError('odoo.exceptions.AccessError', message);
export const accessDenied = (message = 'Access Denied') =>
  new OdooError('odoo.exceptions.AccessDenied', message);
export const attributeError = (message: string) => new OdooError('builtins.AttributeError', message);
export const typeError = (message: string) => new OdooError('builtins.TypeError', message);
export const valueError = (message: string) => new OdooError('builtins.ValueError', message);

/** The message Odoo 17 gives when a record id does not exist (odoo/models.py `_check_record_ids`? no: `_read` / `check_access`). */
export const recordMissing = (model: string, ids: number[], uid: number) =>
  missingError(
    `Record does not exist or has been deleted.\n(Record: ${model}(${ids.join(', ')},), User: ${uid})`,
  );
