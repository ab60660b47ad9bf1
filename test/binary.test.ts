import { expect, test } from "bun:test";
import { join } from "node:path";
import { ROOT, runCommand, tempDir } from "./helpers/process";

test("the compiled binary, alone in an empty folder, migrates and serves", async () => {
  const outfile = join(tempDir("sb-build-"), "switchboard");
  const build = await runCommand([process.execPath, join(ROOT, "scripts", "build.ts"), "--outfile", outfile]);
  expect(build.code).toBe(0);
  const smoke = await runCommand([process.execPath, join(ROOT, "scripts", "smoke-binary.ts"), outfile]);
  if (smoke.code !== 0) console.error(smoke.stdout, smoke.stderr);
  expect(smoke.code).toBe(0);
  expect(smoke.stdout).toContain("/healthz ok");
  expect(smoke.stdout).toContain("passed");
}, 120_000);
