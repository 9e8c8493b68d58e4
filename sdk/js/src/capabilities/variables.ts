/**
 * The variables capability: the tenant's key-value settings, read by key.
 *
 * `ctx.variable(key)` and `ctx.variableJson(key)`, over the host call `variable`; `FakeHost`
 * answers from its `variables`.
 *
 * @module
 */

import { defineCapability, host } from "../capability.js";
import { decode } from "../json.js";

declare module "../context.js" {
  interface Context {
    /** Variable `key`, or `fallback` when it is not set. */
    variable(key: string): string | undefined;
    variable(key: string, fallback: string): string;
    /** Variable `key` parsed as JSON, or `fallback` when it is not set. */
    variableJson<T = any>(key: string, fallback?: T): T | undefined;
  }
}

declare module "../host.js" {
  interface Host {
    /** Variable `key`, if set. */
    variable(key: string): string | undefined;
  }
}

declare module "../testing.js" {
  interface FakeHostOptions {
    variables?: Record<string, string>;
  }
  interface FakeHost {
    readonly variables: Record<string, string>;
  }
}

defineCapability({
  name: "variables",
  context: {
    variable(key: string, fallback?: string): string | undefined {
      return host(this).variable(key) ?? fallback;
    },
    variableJson<T = any>(key: string, fallback?: T): T | undefined {
      const value = host(this).variable(key);
      return value === undefined ? fallback : (decode(value, `variable \`${key}\``) as T);
    },
  },
  guest: (wit) => ({
    variable: (key) => wit.variables.get(key),
  }),
  fake: (fake, options) => {
    const variables = { ...options.variables };
    Object.assign(fake, { variables });
    return { variable: (key) => variables[key] };
  },
});
