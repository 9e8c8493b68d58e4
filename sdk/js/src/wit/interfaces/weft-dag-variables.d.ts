declare module 'weft:dag/variables@0.5.0' {
  /**
   * The value of variable `key`, or none when it is not set.
   */
  export function get(key: string): string | undefined;
}
