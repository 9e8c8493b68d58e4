// Generates the TypeScript types of Weft's WIT world (`wit/` at the repository's root) into
// src/wit/, for `component.ts` and `records.ts` to be type-checked against: what `jco
// guest-types ../../wit -n dag -o src/wit` writes. jco 1.35's command line gives its WIT
// reader no directory to read from (its WASI shim starts with no preopens), so this script
// calls the same function of @bytecodealliance/jco-transpile with `/` preopened.
//
// Usage: node scripts/wit-types.mjs [WIT_DIR] [OUT_DIR]   (run by `npm run build`)

import { mkdir, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const witDir = resolve(process.argv[2] ?? join(here, "../../../wit"));
const outDir = resolve(process.argv[3] ?? join(here, "../src/wit"));

const transpile = import.meta.resolve("@bytecodealliance/jco-transpile");
// The WASI shim jco-transpile's own WIT reader runs on, which may be a copy of its own.
const shim = createRequire(fileURLToPath(transpile)).resolve("@bytecodealliance/preview2-shim/filesystem");
const { _setPreopens } = await import(pathToFileURL(shim).href);
_setPreopens({ "/": "/" });

const { generateGuestTypes } = await import(transpile);
const files = await generateGuestTypes(witDir, { worldName: "dag", outDir: `${outDir}/` });
await rm(outDir, { recursive: true, force: true });
for (const [path, text] of Object.entries(files)) {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}
console.error(`wrote the WIT world's types (${Object.keys(files).length} files) to ${outDir}`);
