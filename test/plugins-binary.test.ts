// Plugins in the compiled binary (DESIGN.md, Actions and plugins): a plugin file on disk beside a
// lone executable, with no node_modules anywhere, imports `switchboard/plugin`, loads and runs.
// The CLI does not load plugins yet, so a small host (test/fixtures/plugin-host.ts) is compiled.
import { BUILTIN_ACTIONS } from "../src/actions";
import { afterAll, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, runCommand, tempDir } from "./helpers/process";

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

test("a compiled host, alone in an empty folder, loads plugins/sms_notify.ts, skips a broken plugin and runs sms_notify", async () => {
  const buildDir = tempDir("sb-plugin-build-");
  const folder = tempDir("sb-plugin-run-");
  folders.push(buildDir, folder);
  const built = join(buildDir, "plugin-host");
  const build = await runCommand([process.execPath, "build", "--compile", join(ROOT, "test", "fixtures", "plugin-host.ts"), "--outfile", built]);
  if (build.code !== 0) console.error(build.stdout, build.stderr);
  expect(build.code).toBe(0);

  const binary = join(folder, "plugin-host");
  copyFileSync(built, binary);
  mkdirSync(join(folder, "plugins"));
  copyFileSync(join(ROOT, "plugins", "sms_notify.ts"), join(folder, "plugins", "sms_notify.ts"));
  writeFileSync(join(folder, "plugins", "broken.ts"), `import { definePlugin } from "switchboard/plugin";\nexport default definePlugin({ type: `);

  const received: unknown[] = [];
  const gateway = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      received.push(await req.json());
      return Response.json({ id: "msg_bin" });
    },
  });
  try {
    // A clean environment: no SWITCHBOARD_* settings, no NODE_PATH, nothing of the repo nearby.
    const run = await runCommand([binary, `http://127.0.0.1:${gateway.port}/send`], { cwd: folder, env: { PATH: "/usr/bin:/bin", HOME: folder } });
    if (run.code !== 0) console.error(run.stdout, run.stderr);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    expect(out.loaded).toEqual(["sms_notify"]);
    expect(out.types).toEqual([...BUILTIN_ACTIONS.map((a) => a.type), "sms_notify"].sort());
    expect(out.failed).toEqual([join(folder, "plugins", "broken.ts")]);
    expect(out.run).toEqual({ result: { status: 200, gateway_response: { id: "msg_bin" } } });
    expect(received).toEqual([{ to: "+15550100199", message: "from the binary" }]);
    const warns = run.stderr.split("\n").filter((line) => line.includes('"plugin skipped"'));
    expect(warns).toHaveLength(1);
    expect(warns[0]).toContain("broken.ts");
  } finally {
    gateway.stop(true);
  }
}, 120_000);
