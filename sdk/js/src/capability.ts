/**
 * How a capability plugs into the SDK, so that one module holds all of it.
 *
 * A capability (XCom, variables, SQL, ...) is one module of `src/capabilities/`. It calls
 * `defineCapability` with:
 *
 * - `context`: the methods and getters tasks call on `Context` (`ctx.xcomPull(...)`), written
 *   with `this` the context; `host(this)` is the attempt's host;
 * - `guest`: its host calls over the component's WIT imports, made from the world's imports
 *   (`src/wit/imports.ts`, generated), throwing the SDK's errors, never the bindings';
 * - `fake`: what `FakeHost` does for those calls, made when a `FakeHost` is, from its options
 *   (it may set the fake's state fields, such as `logs`);
 *
 * and declares their types by module augmentation of `Context`, `Host`, `FakeHost` and
 * `FakeHostOptions`. Every module of `src/capabilities/` is imported (and its exports are the
 * SDK's) through `src/wit/capabilities.ts`, which `npm run build` writes: a new capability is
 * one new file, and no list of host calls, context methods, fakes or exports grows.
 *
 * @module
 */

import { Context, HOST } from "./context.js";
import type { Host } from "./host.js";
import type { FakeHost, FakeHostOptions } from "./testing.js";
import type * as Imports from "./wit/imports.js";

/** The world's imports, by name: `xcom`, `dagRuns`, `types`, `wasiHttpTypes`, ... */
export type WitImports = typeof Imports;

/** What one capability gives the SDK; see the module's documentation. */
export interface CapabilityParts {
  /** Its name, for messages. */
  name: string;
  /** Methods and getters added to `Context`. */
  context?: object & ThisType<Context>;
  /** Its host calls over the world's imports. */
  guest?: (wit: WitImports) => Partial<Host>;
  /** `FakeHost`'s calls for it, and the state they keep on `fake`. */
  fake?: (fake: FakeHost, options: FakeHostOptions) => Partial<Host>;
}

const capabilities: CapabilityParts[] = [];

/** Register a capability: its context methods now, its host calls for each host made after. */
export function defineCapability(parts: CapabilityParts): void {
  for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(parts.context ?? {}))) {
    if (Object.prototype.hasOwnProperty.call(Context.prototype, name)) {
      throw new Error(`capability ${parts.name}: Context already has \`${name}\``);
    }
    Object.defineProperty(Context.prototype, name, { ...descriptor, enumerable: false });
  }
  capabilities.push(parts);
}

/** The attempt's host, for a capability's context methods. */
export function host(ctx: Context): Host {
  return ctx[HOST];
}

/** Put `calls` on `target`, refusing a call two capabilities both give. */
function install(target: object, calls: Partial<Host>, from: string): void {
  for (const name of Object.keys(calls)) {
    if (Object.prototype.hasOwnProperty.call(target, name)) {
      throw new Error(`capability ${from}: host call \`${name}\` is given twice`);
    }
  }
  Object.assign(target, calls);
}

/** A host over the world's imports `wit`: every capability's guest calls. */
export function guestHost(wit: WitImports): Host {
  const made = {};
  for (const parts of capabilities) {
    if (parts.guest !== undefined) {
      install(made, parts.guest(wit), parts.name);
    }
  }
  return made as Host;
}

/** Give `fake` every capability's fake calls and state, from `options`. */
export function fakeCalls(fake: FakeHost, options: FakeHostOptions): void {
  for (const parts of capabilities) {
    if (parts.fake !== undefined) {
      install(fake, parts.fake(fake, options), parts.name);
    }
  }
}

/** The `err` value of a failed import call (a `ComponentError`'s `payload`); anything else is rethrown. */
export function payload<E>(error: unknown): E {
  if (error !== null && typeof error === "object" && "payload" in error) {
    return (error as { payload: E }).payload;
  }
  throw error;
}

/** Drop a resource now rather than when it is collected; children before their parents. */
export function drop(resource: Disposable | undefined): void {
  resource?.[Symbol.dispose]();
}
