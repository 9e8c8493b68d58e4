/// <reference path="./weft-dag-types.d.ts" />
declare module 'weft:dag/log@0.6.0' {
  /**
   * Append one line to the attempt's log. Lines past the host's log limit are dropped; the
   * host records how many bytes it dropped.
   */
  export function write(level: LogLevel, message: string): void;
  export type LogLevel = import('weft:dag/types@0.6.0').LogLevel;
}
