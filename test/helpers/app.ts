/**
 * In-process test app: a fresh data dir with a real SQLite file, migrated, and the app driven
 * through `app.handle()` with no socket. Log lines are kept in memory for assertions.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../src/app";
import { loadConfig, type Config } from "../../src/config";
import { migrate } from "../../src/db/migrate";
import { DATABASE_FILE, openDatabase } from "../../src/db/open";
import { createMemoryLogger } from "../../src/log";

export function tempDir(prefix = "sb-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface TestRequest {
  body?: unknown;
  /** Sent as is (for malformed bodies); otherwise `body` is JSON-encoded. */
  rawBody?: BodyInit;
  headers?: Record<string, string>;
}

export function createTestApp(overrides: Partial<Config> = {}) {
  const dataDir = tempDir();
  const config: Config = { ...loadConfig({ "data-dir": dataDir }, {}), ...overrides };
  const db = openDatabase(join(dataDir, DATABASE_FILE));
  migrate(db.sqlite);
  const logger = createMemoryLogger("json");
  const app = createApp({ config, db, logger });

  async function request(method: string, path: string, init: TestRequest = {}) {
    const headers = new Headers(init.headers);
    let body: BodyInit | undefined = init.rawBody;
    if (body === undefined && init.body !== undefined) {
      body = JSON.stringify(init.body);
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
    }
    const response = await app.handle(new Request(`http://localhost${path}`, { method, headers, body }));
    const text = await response.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  return {
    app,
    db,
    config,
    dataDir,
    logs: logger.lines,
    request,
    close() {
      db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type TestApp = ReturnType<typeof createTestApp>;
