import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fromSource, runCommand, startServerProcess, tempDir } from "./helpers/process";

const yaml = `endpoints:
  - name: Ping
    path: /ping
    method: GET
    auth_required: false
    actions:
      - type: transform
        config:
          template: { pong: true, word: "{{request.query.word}}" }
  - name: Shout
    path: /shout/:word
    method: POST
    actions:
      - type: transform
        config: { template: "{{upper request.params.word}}" }
`;

test("apply a YAML file, export it, apply the export elsewhere: same definitions, live at once", async () => {
  const dir = tempDir();
  const file = join(dir, "endpoints.yaml");
  writeFileSync(file, yaml);
  const first = await runCommand(fromSource("apply", "-f", file, "--data-dir", join(dir, "a")));
  expect(first.code).toBe(0);
  expect(first.stdout).toBe(`applied ${file} to default: 2 created, 0 updated\n`);
  const again = await runCommand(fromSource("apply", "-f", file, "--data-dir", join(dir, "a")));
  expect(again.stdout).toContain("0 created, 2 updated");

  const exported = await runCommand(fromSource("export", "--data-dir", join(dir, "a")));
  expect(exported.code).toBe(0);
  const json = JSON.parse(exported.stdout);
  expect(json.endpoints.map((e: { path: string }) => e.path).sort()).toEqual(["/ping", "/shout/:word"]);
  const copy = join(dir, "export.json");
  writeFileSync(copy, exported.stdout);
  expect((await runCommand(fromSource("apply", "-f", copy, "--data-dir", join(dir, "b")))).code).toBe(0);
  const reexported = await runCommand(fromSource("export", "--data-dir", join(dir, "b")));
  expect(JSON.parse(reexported.stdout)).toEqual(json);

  const server = await startServerProcess(fromSource("serve", "--port", "0", "--data-dir", join(dir, "b")));
  try {
    // Over a socket, custom endpoints are served by Bun's router (dispatchNativeRoutes): the same
    // answers, request id and envelopes as through the framework.
    const res = await fetch(`${server.url}/api/v1/x/default/ping?word=hi`);
    expect(await res.json()).toEqual({ pong: true, word: "hi" });
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    expect(res.headers.get("x-execution-id")).toMatch(/^exe_/);
    const wrongMethod = await fetch(`${server.url}/api/v1/x/default/ping`, { method: "DELETE" });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET");
    const tooBig = await fetch(`${server.url}/api/v1/x/default/shout/x`, { method: "POST", body: "x".repeat(2 * 1024 * 1024), headers: { "content-type": "application/json" } });
    expect(tooBig.status).toBe(413);
    expect((await tooBig.json()).error.code).toBe("PAYLOAD_TOO_LARGE");
    const unknownAccount = await fetch(`${server.url}/api/v1/x/nobody/ping`);
    expect(unknownAccount.status).toBe(404);
    expect((await unknownAccount.json()).success).toBe(false);
  } finally {
    await server.kill();
  }
});

test("a file with one bad definition applies nothing and says which", async () => {
  const dir = tempDir();
  const file = join(dir, "bad.json");
  writeFileSync(file, JSON.stringify([
    { name: "ok", path: "/ok", method: "GET", actions: [] },
    { name: "bad", path: "/bad", method: "GET", actions: [{ type: "no_such_action" }] },
  ]));
  const result = await runCommand(fromSource("apply", "-f", file, "--data-dir", join(dir, "data")));
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('error: endpoint 1 (GET /bad): Invalid actions[0].type: unknown action type "no_such_action"');
  const exported = await runCommand(fromSource("export", "--data-dir", join(dir, "data")));
  expect(JSON.parse(exported.stdout)).toEqual({ endpoints: [] });
  writeFileSync(file, "{not json");
  const malformed = await runCommand(fromSource("apply", "-f", file, "--data-dir", join(dir, "data")));
  expect(malformed.code).toBe(1);
  expect(malformed.stderr).toMatch(/^error: .*bad\.json is not valid JSON/m);
});
