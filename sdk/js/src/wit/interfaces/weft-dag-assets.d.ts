declare module 'weft:dag/assets@0.6.0' {
  /**
   * Attach `extra`, a JSON object of at most 16 KiB, to the event asset `uri` gets when
   * this attempt succeeds. `uri` must be one of the task's outlets; calling again for the
   * same asset replaces its extra. An attempt that fails gives no event.
   */
  export function setExtra(uri: string, extra: string): void;
}
