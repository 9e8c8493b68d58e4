/**
 * The assets capability: what a task adds to the events of the assets it updates.
 *
 * `ctx.setAssetExtra(uri, extra)`, over the host call `setAssetExtra`; `FakeHost` keeps the
 * extras in `assetExtras`, by URI.
 *
 * @module
 */

import { defineCapability, host, payload } from "../capability.js";
import { PermanentError } from "../errors.js";
import { encodeText } from "../json.js";

declare module "../context.js" {
  interface Context {
    /** Attach `extra` to the event outlet `uri` gets when this attempt succeeds. */
    setAssetExtra(uri: string, extra: Record<string, unknown>): void;
  }
}

declare module "../host.js" {
  interface Host {
    /** Attach `extra` (a JSON object's text) to the event outlet `uri` gets on success. */
    setAssetExtra(uri: string, extra: string): void;
  }
}

declare module "../testing.js" {
  interface FakeHost {
    /** The extras the task set, by asset URI. */
    readonly assetExtras: Record<string, unknown>;
  }
}

defineCapability({
  name: "assets",
  context: {
    setAssetExtra(uri: string, extra: Record<string, unknown>): void {
      host(this).setAssetExtra(uri, encodeText(extra, `the extra of asset \`${uri}\``));
    },
  },
  guest: (wit) => ({
    setAssetExtra(uri, extra) {
      try {
        wit.assets.setExtra(uri, extra);
      } catch (error) {
        throw new PermanentError(`the extra of asset \`${uri}\`: ${payload<string>(error)}`);
      }
    },
  }),
  fake: (fake) => {
    const assetExtras: Record<string, unknown> = {};
    Object.assign(fake, { assetExtras });
    return {
      setAssetExtra(uri, extra) {
        assetExtras[uri] = JSON.parse(extra);
      },
    };
  },
});
