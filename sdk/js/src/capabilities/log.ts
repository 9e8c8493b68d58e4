/**
 * The log capability: the host call `log(level, message)` under `ctx.log` (a `Logger`, see
 * `logs.ts`) and `console` while a task runs. `FakeHost` keeps the lines in `logs`.
 *
 * @module
 */

import { defineCapability } from "../capability.js";
import type { LogLevel } from "../host.js";

declare module "../host.js" {
  interface Host {
    /** Write a line to the attempt's log. */
    log(level: LogLevel, message: string): void;
  }
}

declare module "../testing.js" {
  interface FakeHost {
    /** Every line logged, as `[level, message]`. */
    readonly logs: Array<[LogLevel, string]>;
  }
}

defineCapability({
  name: "log",
  guest: (wit) => ({
    log(level, message) {
      wit.log.write(level, message);
    },
  }),
  fake: (fake) => {
    const logs: Array<[LogLevel, string]> = [];
    Object.assign(fake, { logs });
    return {
      log(level, message) {
        logs.push([level, message]);
      },
    };
  },
});
