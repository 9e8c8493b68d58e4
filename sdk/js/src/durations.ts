/**
 * Durations as task settings and waits take them: a number of seconds (`30`, `0.5`) or a
 * string of whole or decimal amounts with units, `ms`, `s`, `m`, `h` and `d` (`"90s"`,
 * `"1h30m"`, `"250ms"`).
 *
 * @module
 */

/** A number of seconds, or a string such as `"5m"`, `"1h30m"` or `"250ms"`. */
export type Duration = number | string;

/** Milliseconds per unit of a duration string. */
const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** One amount and its unit; a duration string is one or more of them. */
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/**
 * `value` in whole milliseconds; a negative value, or one of another type, is refused with a
 * `TypeError` or `RangeError` naming `what`.
 */
export function milliseconds(value: unknown, what: string): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      throw new RangeError(`${what}: expected a finite number of seconds, got ${value}`);
    }
    if (value < 0) {
      throw new RangeError(`${what}: must not be negative, got ${value}`);
    }
    return Math.round(value * 1000);
  }
  if (typeof value === "string") {
    const text = value.trim();
    let total = 0;
    PART.lastIndex = 0;
    while (PART.lastIndex < text.length) {
      const start = PART.lastIndex;
      const match = PART.exec(text);
      if (match === null || match.index !== start) {
        throw new TypeError(
          `${what}: ${JSON.stringify(value)} is not a duration: write seconds as a number, or amounts with units ms, s, m, h, d ("90s", "1h30m")`,
        );
      }
      total += Number(match[1]) * (UNITS[match[2] as string] as number);
    }
    if (text.length === 0) {
      throw new TypeError(`${what}: an empty string is not a duration`);
    }
    return Math.round(total);
  }
  throw new TypeError(`${what}: expected a number of seconds or a duration string, got ${show(value)}`);
}

/** A value as an error message shows it. */
export function show(value: unknown): string {
  if (typeof value === "string") {
    return JSON.stringify(value);
  }
  if (typeof value === "bigint") {
    return `${value}n`;
  }
  if (value === null || typeof value !== "object") {
    return String(value);
  }
  if (Array.isArray(value)) {
    return "an array";
  }
  const name = (value as { constructor?: { name?: string } }).constructor?.name;
  return name && name !== "Object" ? `a ${name}` : "an object";
}
