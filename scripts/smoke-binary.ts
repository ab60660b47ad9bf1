/**
 * Proves a compiled binary stands alone: copies it into an empty folder, runs `migrate` and
 * `serve` there with the default data dir, checks /healthz, /swagger and /swagger/json, then
 * stops it with SIGTERM. Usage: bun scripts/smoke-binary.ts [path/to/switchboard]
 */
import { copyFileSync, existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const source = resolve(process.argv[2] ?? join(import.meta.dir, "..", "dist", "switchboard"));
const fail = (message: string): never => {
  console.error(`smoke: FAIL ${message}`);
  process.exit(1);
};
if (!existsSync(source)) fail(`no binary at ${source} (run \`npm run build\` first)`);

const folder = mkdtempSync(join(tmpdir(), "sb-smoke-"));
const binary = join(folder, "switchboard");
copyFileSync(source, binary);
// A clean environment: no SWITCHBOARD_* settings and no node_modules anywhere near.
const env = { PATH: "/usr/bin:/bin", HOME: folder };

const migrate = Bun.spawnSync([binary, "migrate"], { cwd: folder, env });
if (migrate.exitCode !== 0) fail(`migrate exited ${migrate.exitCode}: ${migrate.stderr}`);
if (!existsSync(join(folder, "sb_data", "switchboard.db"))) fail("migrate did not create sb_data/switchboard.db");
const again = Bun.spawnSync([binary, "migrate"], { cwd: folder, env });
if (again.exitCode !== 0 || again.stderr.toString().includes("migrations applied")) fail("second migrate was not a no-op");

const started = performance.now();
const proc = Bun.spawn([binary, "serve", "--port", "0"], { cwd: folder, env, stdout: "pipe", stderr: "pipe" });
let out = "";
const reader = (async () => {
  for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) out += new TextDecoder().decode(chunk);
})();
let url: string | undefined;
while (!(url = /listening on (http:\/\/\S+)/.exec(out)?.[1])) {
  if (proc.exitCode !== null) fail(`serve exited ${proc.exitCode}: ${await new Response(proc.stderr as ReadableStream).text()}`);
  if (performance.now() - started > 10_000) fail("serve did not print its listening line within 10 s");
  await Bun.sleep(5);
}

try {
  const health = await fetch(`${url}/healthz`);
  const healthBody = await health.json();
  if (health.status !== 200 || healthBody.status !== "ok") fail(`/healthz answered ${health.status} ${JSON.stringify(healthBody)}`);
  console.log(`smoke: /healthz ok, ${Math.round(performance.now() - started)} ms after start`);
  const ui = await fetch(`${url}/swagger`);
  if (ui.status !== 200 || !(await ui.text()).includes("<html")) fail(`/swagger answered ${ui.status}`);
  const css = await fetch(`${url}/swagger/assets/swagger-ui.css`);
  if (css.status !== 200 || !(await css.text()).includes(".swagger-ui")) fail("embedded Swagger UI assets are missing from the binary");
  const spec = await fetch(`${url}/swagger/json`);
  const doc = await spec.json();
  if (spec.status !== 200 || !String(doc.openapi).startsWith("3.") || !doc.paths?.["/healthz"]) fail("/swagger/json is not an OpenAPI 3 document with /healthz");
  console.log("smoke: /swagger and /swagger/json ok");
} finally {
  proc.kill("SIGTERM");
}
const code = await proc.exited;
await reader;
if (code !== 0) fail(`serve exited ${code} on SIGTERM`);
console.log(`smoke: ${source} passed (migrated, served, stopped cleanly) in ${folder}`);
