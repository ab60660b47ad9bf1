/**
 * Proves a compiled binary stands alone: copies it into an empty folder, runs `migrate` and
 * `serve` there with the default data dir, checks /healthz, /swagger and /swagger/json, loads
 * the example plugin from ./plugins (skipping a broken one), runs it in a custom endpoint against
 * a local SMS gateway, reads records through query_records, then stops it with SIGTERM.
 * Usage: bun scripts/smoke-binary.ts [binary]
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { getPriority, tmpdir } from "node:os";
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
mkdirSync(join(folder, "plugins"));
copyFileSync(join(import.meta.dir, "..", "plugins", "sms_notify.ts"), join(folder, "plugins", "sms_notify.ts"));
writeFileSync(join(folder, "plugins", "broken.ts"), "export default definePlugin({ type: ");
// A clean environment: no node_modules anywhere near, only the settings this smoke needs.
const admin = { email: "smoke@example.com", password: "smoke-password" };
const env = {
  PATH: "/usr/bin:/bin",
  HOME: folder,
  SWITCHBOARD_ADMIN_EMAIL: admin.email,
  SWITCHBOARD_ADMIN_PASSWORD: admin.password,
  SWITCHBOARD_OUTBOUND_ALLOW_PRIVATE: "true",
};
const sent: unknown[] = [];
const gateway = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(request) {
    sent.push(await request.json());
    return Response.json({ queued: true });
  },
});

const migrate = Bun.spawnSync([binary, "migrate"], { cwd: folder, env });
if (migrate.exitCode !== 0) fail(`migrate exited ${migrate.exitCode}: ${migrate.stderr}`);
if (!existsSync(join(folder, "sb_data", "switchboard.db"))) fail("migrate did not create sb_data/switchboard.db");
const again = Bun.spawnSync([binary, "migrate"], { cwd: folder, env });
if (again.exitCode !== 0 || again.stderr.toString().includes("migrations applied")) fail("second migrate was not a no-op");

const started = performance.now();
const proc = Bun.spawn([binary, "serve", "--port", "0"], { cwd: folder, env, stdout: "pipe", stderr: "pipe" });
let out = "";
let err = "";
const reader = (async () => {
  for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) out += new TextDecoder().decode(chunk);
})();
const errReader = (async () => {
  for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) err += new TextDecoder().decode(chunk);
})();
let url: string | undefined;
while (!(url = /listening on (http:\/\/\S+)/.exec(out)?.[1])) {
  if (proc.exitCode !== null) fail(`serve exited ${proc.exitCode}: ${err}`);
  if (performance.now() - started > 10_000) fail("serve did not print its listening line within 10 s");
  await Bun.sleep(5);
}

try {
  const health = await fetch(`${url}/healthz`);
  const healthBody = await health.json();
  if (health.status !== 200 || healthBody.status !== "ok") fail(`/healthz answered ${health.status} ${JSON.stringify(healthBody)}`);
  console.log(`smoke: /healthz ok, ${Math.round(performance.now() - started)} ms after start`);
  // The binary restarts itself with the allocator settings (src/runtime-tuning.ts) in place,
  // keeping its pid: Linux shows that process's environment in /proc.
  if (process.platform === "linux") {
    const environ = readFileSync(`/proc/${proc.pid}/environ`, "utf8").split("\0");
    if (!environ.includes("MIMALLOC_PURGE_HOLES=0")) fail("serve did not restart with the allocator settings");
    console.log("smoke: serve runs with the allocator settings");
  }
  const ui = await fetch(`${url}/swagger`);
  if (ui.status !== 200 || !(await ui.text()).includes("<html")) fail(`/swagger answered ${ui.status}`);
  const css = await fetch(`${url}/swagger/assets/swagger-ui.css`);
  if (css.status !== 200 || !(await css.text()).includes(".swagger-ui")) fail("embedded Swagger UI assets are missing from the binary");
  const spec = await fetch(`${url}/swagger/json`);
  const doc = await spec.json();
  if (spec.status !== 200 || !String(doc.openapi).startsWith("3.") || !doc.paths?.["/healthz"]) fail("/swagger/json is not an OpenAPI 3 document with /healthz");
  console.log("smoke: /swagger and /swagger/json ok");

  const login = await (await fetch(`${url}/api/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(admin) })).json();
  const auth = { authorization: `Bearer ${login.data?.token}`, "content-type": "application/json" };
  const plugins = await (await fetch(`${url}/api/v1/plugins`, { headers: auth })).json();
  const types = (plugins.data ?? []).map((p: { type: string }) => p.type);
  if (!types.includes("sms_notify") || !types.includes("transform")) fail(`plugins from ./plugins not loaded: ${JSON.stringify(plugins)}`);
  if (!err.includes("plugin skipped") || !err.includes("broken.ts")) fail("the broken plugin was not reported");
  const endpoint = await fetch(`${url}/api/v1/endpoints`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({
      name: "Notify",
      path: "/notify",
      method: "POST",
      actions: [{ type: "sms_notify", config: { gateway_url: `http://127.0.0.1:${gateway.port}/send`, to: "{{request.body.to}}", message: "Hi {{request.body.name}}" } }],
    }),
  });
  if (endpoint.status !== 201) fail(`defining an endpoint with the plugin failed: ${await endpoint.text()}`);
  const called = await fetch(`${url}/api/v1/x/default/notify`, { method: "POST", headers: auth, body: JSON.stringify({ to: "+15551234567", name: "Ada" }) });
  const answer = await called.json();
  if (called.status !== 200 || JSON.stringify(sent) !== JSON.stringify([{ to: "+15551234567", message: "Hi Ada" }])) {
    fail(`the plugin did not run in the binary: ${called.status} ${JSON.stringify(answer)} sent=${JSON.stringify(sent)}`);
  }
  console.log("smoke: example plugin loaded from ./plugins and ran (broken plugin skipped)");

  // The call's history is written by the history writer thread, a worker the binary must carry.
  const executionId = called.headers.get("x-execution-id");
  let execution: Response | undefined;
  for (let i = 0; i < 100 && execution?.status !== 200; i++) {
    if (i > 0) await Bun.sleep(20);
    execution = await fetch(`${url}/api/v1/executions/${executionId}`, { headers: auth });
  }
  const record = await execution!.json();
  if (execution!.status !== 200 || record.data?.steps?.[0]?.type !== "sms_notify") fail(`the call's history was not stored: ${execution!.status} ${JSON.stringify(record)}`);
  console.log("smoke: execution history stored (the writer thread is checked in the log after the stop)");
  if (process.platform === "linux") {
    // The writer steps back for requests (src/thread-priority.ts): one thread at nice 10, the
    // request thread (whose id is the pid) at the nice value it was started with, this one's.
    const ownNice = getPriority();
    // On Linux a thread id is a valid target of getpriority: it reads that thread's own value.
    const nice = (tid: string) => getPriority(Number(tid));
    const niced = readdirSync(`/proc/${proc.pid}/task`).filter((tid) => nice(tid) === Math.max(10, ownNice));
    if (ownNice < 10 && (niced.length !== 1 || nice(String(proc.pid)) !== ownNice)) {
      fail(`expected the history writer alone at nice 10, found threads ${niced.join(", ") || "none"}`);
    }
    console.log("smoke: the history writer thread runs at nice 10");
  }

  // query_records answers from the binary. Its reader thread (another worker the binary carries,
  // built as an entrypoint of its own) starts only on a saturated server with 4 or more CPUs, which
  // one call is not: reader-thread.test.ts runs that thread.
  const post = (path: string, body: unknown) => fetch(`${url}${path}`, { method: "POST", headers: auth, body: JSON.stringify(body) });
  if ((await post("/api/v1/collections", { name: "notes" })).status !== 201) fail("could not create a collection");
  if ((await post("/api/v1/collections/notes/records", { text: "from the binary" })).status !== 201) fail("could not create a record");
  if ((await post("/api/v1/endpoints", { name: "Notes", path: "/notes", method: "GET", actions: [{ type: "query_records", config: { collection: "notes" } }] })).status !== 201) {
    fail("could not define a query_records endpoint");
  }
  const notes = await fetch(`${url}/api/v1/x/default/notes`, { headers: auth });
  const listed = await notes.json();
  if (notes.status !== 200 || listed?.[0]?.text !== "from the binary") fail(`query_records answered ${notes.status} ${JSON.stringify(listed)}`);
  console.log("smoke: query_records answered");
} finally {
  proc.kill("SIGTERM");
  gateway.stop(true);
}
const code = await proc.exited;
await reader;
await errReader;
if (code !== 0) fail(`serve exited ${code} on SIGTERM`);
// Log lines are batched; after the stop every one of them is in. A reader thread that could not
// start still answers (the request thread reads instead), so only the log tells.
for (const thread of ["history writer", "records reader"]) if (err.includes(`${thread} thread failed`)) fail(`the ${thread} thread did not run in the binary`);
console.log(`smoke: ${source} passed (migrated, served, stopped cleanly) in ${folder}`);
