import { ValidationError } from '../errors.ts';

const kindPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

/** Job kinds name handlers: 1-100 characters of letters, digits and `. _ : -`. */
export function checkJobKind(kind: unknown, field = 'job kind'): string {
  if (typeof kind !== 'string' || !kindPattern.test(kind)) {
    throw new ValidationError(`${field} must be 1-100 characters of letters, digits and . _ : -`, { kind });
  }
  return kind;
}

export function checkInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(`${name} must be an integer from ${min} to ${max}`, { [name]: value });
  }
  return value;
}

/** JSON text of a payload or result; ValidationError for what JSON cannot hold (undefined, BigInt, cycles). */
export function toJson(value: unknown, what: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new ValidationError(`${what} must be JSON-serialisable: ${(error as Error).message}`);
  }
  if (json === undefined) throw new ValidationError(`${what} must be JSON-serialisable`);
  return json;
}
