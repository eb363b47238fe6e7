// JSON Schema validators on Ajv, the library loaded when the first one is made (D323): Ajv is 63
// modules, and most processes that import a module able to validate never do (a command that
// reads the log, a server's start before its first write). Ajv is CommonJS, so it is required
// synchronously where a validator is first needed.
import { createRequire } from 'node:module';
import type { Ajv, Options } from 'ajv';

export type { ErrorObject, ValidateFunction } from 'ajv';

let AjvClass: typeof Ajv | undefined;

/** A new Ajv instance with these options (Ajv loaded on the first call). */
export function newAjv(options: Options): Ajv {
  AjvClass ??= (createRequire(import.meta.url)('ajv') as { Ajv: typeof Ajv }).Ajv;
  return new AjvClass(options);
}
