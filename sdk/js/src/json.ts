/**
 * Values between tasks (outputs, XComs, map items) are JSON documents, as bytes. A value JSON
 * cannot hold fails the task permanently, naming it, rather than turning into `null`.
 *
 * @module
 */

import { show } from "./durations.js";
import { PermanentError } from "./errors.js";

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * `value` as compact JSON text. `undefined` is `null`; a `NaN` or infinite number, a bigint,
 * a function or a symbol fails with a `PermanentError` naming `what`.
 */
export function encodeText(value: unknown, what: string): string {
  if (value === undefined) {
    return "null";
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (key, v: unknown) => {
      if (typeof v === "number" && !Number.isFinite(v)) {
        throw new TypeError(`${where(key)}${v} is not a JSON number`);
      }
      if (typeof v === "bigint") {
        throw new TypeError(`${where(key)}a bigint (${v}n) has no JSON form: convert it with Number() or String()`);
      }
      return v;
    });
  } catch (error) {
    throw new PermanentError(`${what} cannot be encoded as JSON: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  if (text === undefined) {
    throw new PermanentError(`${what} cannot be encoded as JSON: ${show(value)} has no JSON form`);
  }
  return text;
}

/** `value` as compact JSON bytes (see `encodeText`). */
export function encode(value: unknown, what: string): Uint8Array {
  return encoder.encode(encodeText(value, what));
}

/** JSON text or bytes as a value; anything else fails with a `PermanentError` naming `what`. */
export function decode(data: Uint8Array | string, what: string): any {
  let text: string;
  try {
    text = typeof data === "string" ? data : decoder.decode(data);
  } catch (error) {
    throw new PermanentError(`${what} is not valid UTF-8`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new PermanentError(`${what} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/** The key a replacer was called with, as an error message prefixes it. */
function where(key: string): string {
  return key === "" ? "" : `field ${JSON.stringify(key)}: `;
}
