// Generates the TypeScript types of Weft's WIT world (`wit/` at the repository's root) into
// src/wit/, for `component.ts` and `records.ts` to be type-checked against: what `jco
// guest-types ../../wit -n dag -o src/wit` writes. jco 1.35's command line gives its WIT
// reader no directory to read from (its WASI shim starts with no preopens), so this script
// calls the same function of @bytecodealliance/jco-transpile with `/` preopened.
//
// Usage: node scripts/wit-types.mjs [WIT_DIR] [OUT_DIR]   (run by `npm run build`)

import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
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
const wanted = new Map(Object.entries(files).map(([path, text]) => [resolve(path), Buffer.from(text)]));
// A file is written only when its text changed, and one no longer generated is removed: the
// others keep their times, which builds that embed the SDK's sources (wfctl's) watch.
const present = await readdir(outDir, { recursive: true }).catch(() => []);
for (const name of present) {
  const path = resolve(outDir, name);
  if (!wanted.has(path) && (await stat(path)).isFile()) await rm(path, { force: true });
}
let written = 0;
for (const [path, text] of wanted) {
  const old = await readFile(path).catch(() => null);
  if (old !== null && old.equals(text)) continue;
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
  written += 1;
}
console.error(`the WIT world's types: ${wanted.size} files in ${outDir}, ${written} written`);
