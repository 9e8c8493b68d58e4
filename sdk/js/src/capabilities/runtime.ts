/**
 * The runtime capability: where the attempt runs.
 *
 * `ctx.worker()`, over the host call `worker`; `FakeHost` answers its `worker` option, or a
 * worker `test-worker` on `localhost` taking from `default`.
 *
 * @module
 */

import { defineCapability, host } from "../capability.js";

/** Where the attempt runs. */
export interface WorkerInfo {
  workerId: string;
  hostname: string;
  queue: string;
}

declare module "../context.js" {
  interface Context {
    /** The worker and queue running this attempt. */
    worker(): WorkerInfo;
  }
}

declare module "../host.js" {
  interface Host {
    /** The worker and queue running the attempt. */
    worker(): WorkerInfo;
  }
}

declare module "../testing.js" {
  interface FakeHostOptions {
    worker?: WorkerInfo;
  }
}

defineCapability({
  name: "runtime",
  context: {
    worker(): WorkerInfo {
      return host(this).worker();
    },
  },
  guest: (wit) => ({
    worker: () => wit.runtime.worker(),
  }),
  fake: (_fake, options) => ({
    worker: () => options.worker ?? { workerId: "test-worker", hostname: "localhost", queue: "default" },
  }),
});
