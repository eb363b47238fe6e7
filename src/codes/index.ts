// The one table of Verity error codes and their HTTP statuses, apart from the error classes
// (src/errors), so that a process that raises errors but never answers HTTP (the key process)
// does not load the table.
export type { ErrorCode } from './codes.ts';
export { ERROR_CODES, httpStatusOf } from './codes.ts';
