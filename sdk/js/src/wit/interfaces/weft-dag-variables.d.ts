declare module 'weft:dag/variables@0.6.0' {
  /**
   * The value of variable `key`, or none when it is not set.
   */
  export function get(key: string): string | undefined;
}
