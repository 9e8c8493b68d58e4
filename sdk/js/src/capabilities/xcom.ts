/**
 * The XCom capability: small JSON values passed between the tasks of one run.
 *
 * `ctx.xcomPull(taskId, key)` and `ctx.xcomPush(key, value)`, over the host calls `xcomPull`
 * and `xcomPush` that carry the values as JSON bytes. `FakeHost` answers pulls from its
 * `xcom` option and keeps what the task pushed in `pushed`.
 *
 * @module
 */

import { defineCapability, host, payload } from "../capability.js";
import { XComError } from "../errors.js";
import { decode, encode } from "../json.js";
import { caseName } from "../records.js";
import type { XcomError } from "weft:dag/types@0.6.0";

declare module "../context.js" {
  interface Context {
    /**
     * The value upstream task `taskId` pushed under `key`, or its output when `key` is not
     * given; without a `fallback`, no value fails the task permanently.
     */
    xcomPull<T = any>(taskId: string, key?: string | null, ...fallback: [] | [T]): T;
    /** Push `value` (JSON) under `key` for this task instance. */
    xcomPush(key: string, value: unknown): void;
  }
}

declare module "../host.js" {
  interface Host {
    /** Push `value` under `key` for the calling task instance. */
    xcomPush(key: string, value: Uint8Array): void;
    /** The value `taskId` pushed under `key` (its output when none), if any. */
    xcomPull(taskId: string, key: string | undefined): Uint8Array | undefined;
  }
}

declare module "../testing.js" {
  interface FakeHostOptions {
    /**
     * XCom values, keyed `taskId` for a task's output or `taskId/key` for what it pushed under
     * `key` (ids and keys cannot hold `/`).
     */
    xcom?: Record<string, unknown>;
  }
  interface FakeHost {
    readonly xcom: Record<string, unknown>;
    /** What the task pushed, by key. */
    readonly pushed: Record<string, unknown>;
  }
}

defineCapability({
  name: "xcom",
  context: {
    xcomPull<T = any>(taskId: string, key?: string | null, ...fallback: [] | [T]): T {
      const what = `XCom \`${key ?? "return_value"}\` of \`${taskId}\``;
      const data = host(this).xcomPull(taskId, key ?? undefined);
      if (data === undefined) {
        if (fallback.length === 0) {
          throw new XComError(`${what} has no value`, { kind: "permanent" });
        }
        return fallback[0] as T;
      }
      return decode(data, what) as T;
    },
    xcomPush(key: string, value: unknown): void {
      host(this).xcomPush(key, encode(value, `XCom \`${key}\``));
    },
  },
  guest: (wit) => {
    /** An XCom call's error; retryable only when the store could not be reached. */
    const failed = (error: unknown, action: string): XComError => {
      const reason = payload<XcomError>(error);
      const kind = reason.tag === "unavailable" ? "retryable" : "permanent";
      return new XComError(`${action} failed: ${caseName(reason.tag)}: ${reason.val}`, { kind });
    };
    return {
      xcomPush(key, value) {
        try {
          wit.xcom.push(key, value);
        } catch (error) {
          throw failed(error, `pushing XCom \`${key}\``);
        }
      },
      xcomPull(taskId, key) {
        try {
          return wit.xcom.pull(taskId, key);
        } catch (error) {
          throw failed(error, `pulling XCom \`${key ?? "return_value"}\` of \`${taskId}\``);
        }
      },
    };
  },
  fake: (fake, options) => {
    const xcom = { ...options.xcom };
    const pushed: Record<string, unknown> = {};
    Object.assign(fake, { xcom, pushed });
    return {
      xcomPush(key, value) {
        pushed[key] = decode(value, `XCom \`${key}\``);
      },
      xcomPull(taskId, key) {
        const name = key === undefined ? taskId : `${taskId}/${key}`;
        return name in xcom ? encode(xcom[name], `XCom \`${name}\``) : undefined;
      },
    };
  },
});
