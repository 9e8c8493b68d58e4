// Object storage as a task sees it, on FakeHost's in-memory buckets: the host's answers.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { type Bucket, Dag, ObjectsError } from "../src/index.js";
import { FakeHost, runTask } from "../src/testing.js";

const text = new TextEncoder();

/** Runs `body` as a task on bucket `weft` of `aws_default`; its result and the bucket after. */
async function run(body: (bucket: Bucket) => unknown, objects: Record<string, string> = {}) {
  const bucket = new Map(Object.entries(objects).map(([k, v]) => [k, text.encode(v)]));
  const host = new FakeHost({ objects: { aws_default: { weft: bucket } } });
  const dag = new Dag("objects");
  dag.task("t", (ctx) => body(ctx.storage("aws_default").bucket("weft")));
  return { result: await runTask(dag, "t", { host }), bucket };
}

function refusal(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    assert.ok(error instanceof ObjectsError, String(error));
    return error.case;
  }
  return "none";
}

describe("objects", () => {
  test("objects go in and come out whole, by range, in parts and as chunks", async () => {
    const { result, bucket } = await run((b) => {
      b.put("a/b.txt", "hello, objects");
      const writer = b.writer("a/big.bin");
      writer.write("xx");
      writer.write(new Uint8Array([121, 122]));
      writer.finish();
      const { meta, chunks } = b.reader("a/big.bin");
      const streamed = [...chunks].map((c) => new TextDecoder().decode(c)).join("");
      return [b.getText("a/b.txt"), new TextDecoder().decode(b.get("a/b.txt", { range: [7, 14] })), streamed, meta.size];
    });
    assert.deepEqual(result, ["hello, objects", "objects", "xxyz", 4]);
    assert.equal(new TextDecoder().decode(bucket.get("a/b.txt")), "hello, objects");
  });

  test("conditional calls answer with their cases", async () => {
    const { result } = await run((b) => {
      const tag = b.put("k", "1").eTag!;
      return [
        refusal(() => b.put("k", "2", { create: true })),
        refusal(() => b.put("k", "2", { ifMatch: '"other"' })),
        refusal(() => b.get("k", { ifNoneMatch: tag })),
        refusal(() => b.get("missing")),
        refusal(() => b.get("a//b")),
        refusal(() => b.put("k", "3", { ifMatch: tag })),
      ];
    });
    assert.deepEqual(result, ["AlreadyExists", "Precondition", "NotModified", "NotFound", "InvalidPath", "none"]);
  });

  test("listing is by key, under whole segments, across pages", async () => {
    const objects: Record<string, string> = { pq: "", p: "" };
    for (let i = 0; i < 1005; i++) {
      objects[`p/${String(i).padStart(4, "0")}`] = "";
    }
    const { result } = await run((b) => [...b.list("p/")].map((m) => m.path), objects);
    assert.deepEqual(result, Array.from({ length: 1005 }, (_, i) => `p/${String(i).padStart(4, "0")}`));
  });

  test("a writer disposed before finishing leaves nothing", async () => {
    const { result } = await run((b) => {
      {
        using writer = b.writer("torn");
        writer.write("half");
      }
      b.copy("kept", "copied");
      b.delete("kept");
      return [b.exists("torn"), b.exists("kept"), b.getText("copied")];
    }, { kept: "v" });
    assert.deepEqual(result, [false, false, "v"]);
  });
});
