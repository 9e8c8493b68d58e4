/// <reference path="./weft-dag-types.d.ts" />
declare module 'weft:dag/secrets@0.6.0' {
  /**
   * The value of secret `name`.
   */
  export function get(name: string): string;
  export type AccessError = import('weft:dag/types@0.6.0').AccessError;
}
