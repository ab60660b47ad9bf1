import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Elysia } from "elysia";
import { createApp } from "../src/app";
import { loadConfig } from "../src/config";
import { migrate } from "../src/db/migrate";
import { DATABASE_FILE, openDatabase } from "../src/db/open";
import { createMemoryLogger } from "../src/log";
import { listen, openDataDir } from "../src/server";
import { fromSource, runCommand, startServerProcess, tempDir, type ServerProcess } from "./helpers/process";

describe("switchboard serve (real process)", () => {
  const dataDir = tempDir();
  let server: ServerProcess;
  afterAll(async () => {
    if (server && server.proc.exitCode === null) await server.kill("SIGKILL");
  });

  test("prints the listening line with the real port and serves /healthz", async () => {
    server = await startServerProcess(fromSource("serve", "--port", "0", "--data-dir", dataDir));
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.url).not.toEndWith(":0");
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
  });

  test("generates the master key once with mode 0600", () => {
    expect(statSync(join(dataDir, "secret.key")).mode & 0o777).toBe(0o600);
  });

  test("413 for an oversized body, and the server still answers after", async () => {
    for (const size of [1024 * 1024 + 1, 2 * 1024 * 1024, 50 * 1024 * 1024]) {
      const big = "y".repeat(size);
      const res = await fetch(`${server.url}/anything`, { method: "POST", body: big, headers: { "content-type": "application/json" } });
      expect(res.status).toBe(413);
      expect((await res.json()).error.code).toBe("PAYLOAD_TOO_LARGE");
    }
    const after = await fetch(`${server.url}/healthz`);
    expect(after.status).toBe(200);
  });

  test("413 for a chunked body of any type, before it is read whole", async () => {
    // No Content-Length: the body is streamed. 8 MiB of chunks against the 1 MiB limit.
    const chunked = () => {
      let sent = 0;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= 8 * 1024 * 1024) return controller.close();
          sent += 64 * 1024;
          controller.enqueue(new Uint8Array(64 * 1024));
        },
      });
    };
    for (const type of ["application/octet-stream", "multipart/form-data; boundary=x", ""]) {
      const res = await fetch(`${server.url}/api/v1/auth/login`, { method: "POST", body: chunked(), headers: type ? { "content-type": type } : {} });
      expect(res.status).toBe(413);
      expect((await res.json()).error.code).toBe("PAYLOAD_TOO_LARGE");
    }
  });

  test("malformed JSON over a socket -> 400", async () => {
    const res = await fetch(`${server.url}/healthz`, { method: "POST", body: "{nope", headers: { "content-type": "application/json" } });
    expect([400, 404]).toContain(res.status); // no POST /healthz: 404 wins before the body is read
    const swagger = await fetch(`${server.url}/swagger/json`);
    expect(swagger.status).toBe(200);
  });

  // Linux shows a process's environment in /proc: the pid Bun.spawn returned now runs with the
  // allocator settings, so the restart replaced the process rather than starting a second one.
  test.if(process.platform === "linux")("runs with the allocator settings, in the process that was started", () => {
    expect(environOf(server.proc.pid)).toContain("MIMALLOC_PURGE_HOLES=0");
    expect(server.proc.exitCode).toBeNull();
  });

  test("SIGTERM exits 0 and leaves a database that migrates cleanly", async () => {
    expect(await server.kill("SIGTERM")).toBe(0);
    const db = openDatabase(join(dataDir, DATABASE_FILE));
    expect(migrate(db.sqlite)).toEqual([]);
    db.close();
  });
});

const environOf = (pid: number) => readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");

describe("allocator settings", () => {
  test.if(process.platform === "linux")("a value of the user's own is kept: that is the opt-out", async () => {
    const server = await startServerProcess(fromSource("serve", "--port", "0", "--data-dir", tempDir()), { env: { MIMALLOC_PURGE_HOLES: "1" } });
    try {
      expect(environOf(server.proc.pid)).toContain("MIMALLOC_PURGE_HOLES=1");
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.kill();
    }
  });
});

describe("graceful shutdown", () => {
  test("in-flight requests finish before the database closes", async () => {
    const dataDir = tempDir();
    const config = loadConfig({ port: "0", "data-dir": dataDir }, {});
    const logger = createMemoryLogger();
    const db = openDataDir(config, logger);
    const app = createApp({ config, db, logger }).use(
      new Elysia().get("/slow", async () => {
        await Bun.sleep(300);
        return { done: db.ping() };
      }),
    );
    const running = listen(app, { config, db, logger });
    // Never Bun's development mode, whose error page shows stack traces.
    expect(app.server!.development).toBe(false);
    const inflight = fetch(`${running.url}/slow`);
    await Bun.sleep(50);
    const stopped = running.stop();
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ done: true });
    await stopped;
    expect(db.ping()).toBe(false); // closed after the drain
    await expect(fetch(`${running.url}/healthz`)).rejects.toThrow();
  });
});

describe("CLI", () => {
  test("--version and --help", async () => {
    const version = await runCommand(fromSource("--version"));
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^switchboard \d+\.\d+\.\d+\n$/);
    const help = await runCommand(fromSource("--help"));
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("serve");
    expect(help.stdout).toContain("migrate");
    expect(help.stdout).toContain("--data-dir");
  });

  const configErrors: [string, string[], RegExp][] = [
    ["port abc", ["serve", "--port", "abc"], /^error: invalid port "abc": expected a whole number\n$/],
    ["unknown flag", ["serve", "--bogus"], /^error: .*bogus.*\n$/],
    ["unknown command", ["frobnicate"], /^error: unknown command "frobnicate"/],
  ];
  for (const [name, args, expected] of configErrors) {
    test(`${name} exits 1 with one clear line and no stack`, async () => {
      const result = await runCommand(fromSource(...args, "--data-dir", tempDir()));
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(expected);
      expect(result.stderr).not.toContain("    at ");
    });
  }

  test("an unwritable data dir exits 1 with one line", async () => {
    const file = join(tempDir(), "a-file");
    writeFileSync(file, "");
    const result = await runCommand(fromSource("serve", "--port", "0", "--data-dir", join(file, "data")));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: data dir .* is not a writable directory \(\w+\)\n$/);
  });

  test("a port another instance listens on is refused with one line, not shared", async () => {
    const first = await startServerProcess(fromSource("serve", "--port", "0", "--data-dir", tempDir()));
    try {
      const port = new URL(first.url).port;
      const result = await runCommand(fromSource("serve", "--port", port, "--data-dir", tempDir(), "--log-format", "json"));
      expect(result.code).toBe(1);
      // One error line; the rest is the JSON log of the start-up (flushed on exit), no stack trace.
      const lines = result.stderr.trimEnd().split("\n");
      expect(lines.filter((line) => !line.startsWith("{"))).toEqual([
        `error: port ${port} on 127.0.0.1 is already in use (another Switchboard or another program listens there); stop it or choose another --port`,
      ]);
      for (const line of lines.filter((l) => l.startsWith("{"))) expect(() => JSON.parse(line)).not.toThrow();
      expect(result.stdout).not.toContain("listening on");
      expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    } finally {
      expect(await first.kill("SIGTERM")).toBe(0);
    }
  });

  test("migrate applies once; running it twice changes nothing", async () => {
    const dataDir = tempDir();
    const first = await runCommand(fromSource("migrate", "--data-dir", dataDir, "--log-format", "json"));
    expect(first.code).toBe(0);
    expect(first.stderr).toContain("migrations applied");
    const second = await runCommand(fromSource("migrate", "--data-dir", dataDir, "--log-format", "json"));
    expect(second.code).toBe(0);
    expect(second.stderr).not.toContain("migrations applied");
    expect(second.stdout).toBe(first.stdout);
  });

  test("a data dir from a newer version is refused", async () => {
    const dataDir = tempDir();
    mkdirSync(dataDir, { recursive: true });
    const db = openDatabase(join(dataDir, DATABASE_FILE));
    migrate(db.sqlite);
    db.sqlite.run("INSERT INTO _migrations (tag, applied_at) VALUES ('9999_from_the_future', 0)");
    db.close();
    for (const command of ["serve", "migrate"]) {
      const result = await runCommand(fromSource(command, "--port", "0", "--data-dir", dataDir));
      expect(result.code).toBe(1);
      expect(result.stderr).toBe("error: the database was written by a newer Switchboard (unknown migration 9999_from_the_future); run that version or newer\n");
    }
  });
});

describe("crash safety", () => {
  test("SIGKILL mid-write leaves a database that opens, keeps acknowledged rows and migrates again", async () => {
    const dataDir = tempDir();
    const path = join(dataDir, DATABASE_FILE);
    const writer = Bun.spawn([process.execPath, join(import.meta.dir, "fixtures", "writer.ts"), path], { stdout: "pipe" });
    let acknowledged = 0;
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of writer.stdout as ReadableStream<Uint8Array>) {
      buffer += decoder.decode(chunk);
      const lines = buffer.split("\n");
      buffer = lines.pop()!;
      if (lines.length) acknowledged = Number(lines.at(-1));
      if (acknowledged >= 2000) break;
    }
    writer.kill("SIGKILL");
    await writer.exited;
    const db = openDatabase(path);
    expect(db.sqlite.query<{ integrity_check: string }, []>("PRAGMA integrity_check").get()!.integrity_check).toBe("ok");
    expect(migrate(db.sqlite)).toEqual([]);
    const count = db.sqlite.query<{ n: number }, []>("SELECT count(*) AS n FROM settings").get()!.n;
    expect(count).toBeGreaterThanOrEqual(acknowledged);
    db.close();
  });

  test("a server killed with SIGKILL restarts on the same data dir", async () => {
    const dataDir = tempDir();
    const first = await startServerProcess(fromSource("serve", "--port", "0", "--data-dir", dataDir));
    await fetch(`${first.url}/healthz`);
    expect(await first.kill("SIGKILL")).not.toBe(0);
    const second = await startServerProcess(fromSource("serve", "--port", "0", "--data-dir", dataDir));
    expect((await fetch(`${second.url}/healthz`)).status).toBe(200);
    expect(await second.kill("SIGTERM")).toBe(0);
  });
});
