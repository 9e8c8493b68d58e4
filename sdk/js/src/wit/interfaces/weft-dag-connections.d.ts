/// <reference path="./weft-dag-types.d.ts" />
declare module 'weft:dag/connections@0.6.0' {
  /**
   * The connection `conn-id`, with its password.
   */
  export function get(connId: string): Connection;
  export type Connection = import('weft:dag/types@0.6.0').Connection;
  export type AccessError = import('weft:dag/types@0.6.0').AccessError;
}
