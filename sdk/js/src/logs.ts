/**
 * A task's log: `ctx.log.info("read %d rows from %s", n, table)` writes one line of the
 * attempt's log at that level. While a task runs, `console.log`, `console.info`,
 * `console.debug`, `console.warn` and `console.error` write there too, at the matching level,
 * so a library's output lands in the same log.
 *
 * @module
 */

import type { Host, LogLevel } from "./host.js";

/** Writes lines to the attempt's log. Arguments are formatted as `console.log` does. */
export class Logger {
  constructor(private readonly host: Host) {}

  /** Write `format(...args)` at `level`; a line that cannot be written is dropped. */
  write(level: LogLevel, ...args: unknown[]): void {
    try {
      this.host.log(level, format(...args));
    } catch {
      // A log line that cannot be written must not fail the task.
    }
  }

  trace(...args: unknown[]): void {
    this.write("trace", ...args);
  }

  debug(...args: unknown[]): void {
    this.write("debug", ...args);
  }

  info(...args: unknown[]): void {
    this.write("info", ...args);
  }

  warn(...args: unknown[]): void {
    this.write("warn", ...args);
  }

  error(...args: unknown[]): void {
    this.write("error", ...args);
  }
}

/**
 * `args` as one line, as `console.log` writes them: a first string's `%s`, `%d`, `%i`, `%f`,
 * `%j`, `%o`, `%O` and `%%` take the following arguments, and the rest are appended with
 * spaces; objects are written as JSON, errors with their stack.
 */
export function format(...args: unknown[]): string {
  const [first, ...rest] = args;
  if (typeof first !== "string") {
    return args.map(inspect).join(" ");
  }
  let next = 0;
  const line = first.replace(/%([sdifjoO%])/g, (whole, spec: string) => {
    if (spec === "%") {
      return "%";
    }
    if (next >= rest.length) {
      return whole;
    }
    const value = rest[next++];
    switch (spec) {
      case "s":
        return typeof value === "string" ? value : inspect(value);
      case "d":
      case "i": {
        if (typeof value === "bigint") {
          return `${value}`;
        }
        const n = Number(value);
        return String(spec === "i" ? Math.trunc(n) : n);
      }
      case "f":
        return String(Number(value));
      default:
        return inspect(value);
    }
  });
  return [line, ...rest.slice(next).map((v) => (typeof v === "string" ? v : inspect(v)))].join(" ");
}

/** One value as a log line shows it. */
export function inspect(value: unknown): string {
  if (typeof value === "string") {
    return value;
  }
  if (value instanceof Error) {
    return value.stack && value.stack.includes(value.message) ? value.stack : `${value.name}: ${value.message}\n${value.stack ?? ""}`.trimEnd();
  }
  if (typeof value === "bigint") {
    return `${value}n`;
  }
  if (value === undefined || typeof value === "function" || typeof value === "symbol") {
    return String(value);
  }
  if (value instanceof Uint8Array) {
    return `Uint8Array(${value.length})`;
  }
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? `${v}n` : v)) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The console methods sent to the log while a task runs, and their levels. */
const CONSOLE_LEVELS: ReadonlyArray<[keyof Console & string, LogLevel]> = [
  ["debug", "debug"],
  ["log", "info"],
  ["info", "info"],
  ["warn", "warn"],
  ["error", "error"],
];

/** Send `console`'s output to `logger` until the returned function is called. */
export function captureConsole(logger: Logger): () => void {
  const target = globalThis.console as unknown as Record<string, unknown> | undefined;
  if (target === undefined) {
    return () => {};
  }
  const saved = CONSOLE_LEVELS.map(([name]) => [name, target[name]] as const);
  for (const [name, level] of CONSOLE_LEVELS) {
    target[name] = (...args: unknown[]) => logger.write(level, ...args);
  }
  return () => {
    for (const [name, original] of saved) {
      target[name] = original;
    }
  };
}
