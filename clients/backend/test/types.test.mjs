// The type declarations as an application compiles against them: its own
// models through the handler's generics (ESM), and the CommonJS declarations.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { test } from "node:test";
import { PACKAGE } from "./support.mjs";

test("an application's typed use of ecb-backend compiles, from ESM and from CommonJS", () => {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const output = (() => {
    try {
      return execFileSync(process.execPath, [tsc, "-p", path.join(PACKAGE, "test/types/tsconfig.json")], { encoding: "utf8" });
    } catch (error) {
      return error.stdout || String(error);
    }
  })();
  assert.equal(output.trim(), "");
});
