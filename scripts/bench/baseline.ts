/**
 * The bare baseline of `bun run bench`: a plain `Bun.serve` doing the minimum equivalent of a
 * scenario, so the product's numbers are read as a ratio to what this machine and this Bun can do
 * at all in the same run.
 *
 *   bun scripts/bench/baseline.ts --mode echo|insert|select [--port 0] [--records N] [--dir DIR]
 *
 * - echo:   parses the JSON body and answers `{echo, n}` as JSON.
 * - insert: parses the JSON body, runs one prepared INSERT into a records table shaped like a
 *           collection's (seq, id, data, created_at, updated_at) and answers the record as JSON.
 * - select: one prepared SELECT of 10 records by an indexed JSON field, ordered by seq (the SQL a
 *           collection's `customer_id = '...'` filter compiles to), over N seeded records; answers
 *           them as JSON (`GET /orders/:customer_id`).
 *
 * The SQLite file lives in DIR (a temporary folder by default) with the pragmas of src/db/open.ts.
 * Prints `listening on http://HOST:PORT` once ready, like `switchboard serve`.
 */
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type BaselineMode = "echo" | "insert" | "select";

/** Customer ids are `c_<i % customers>`; 10 records per customer, as the product's seed. */
export const RECORDS_PER_CUSTOMER = 10;
export const customerId = (i: number) => `c_${i}`;

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

/** Same pragmas as src/db/open.ts. */
function open(path: string): Database {
  const db = new Database(path, { create: true, strict: true });
  db.run("PRAGMA auto_vacuum = INCREMENTAL");
  db.run("PRAGMA journal_mode = WAL");
  db.run("PRAGMA synchronous = NORMAL");
  db.run("PRAGMA foreign_keys = ON");
  db.run("PRAGMA busy_timeout = 5000");
  db.run("PRAGMA temp_store = MEMORY");
  db.run("PRAGMA cache_size = -16000");
  db.run(
    `CREATE TABLE IF NOT EXISTS "rec_bench" (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, data TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
  );
  db.run(`CREATE INDEX IF NOT EXISTS "rec_bench_i1" ON "rec_bench" (json_extract("data", '$."customer_id"'))`);
  return db;
}

interface Row {
  seq: number;
  id: string;
  data: string;
  created_at: number;
  updated_at: number;
}

const view = (row: Row) => ({
  id: row.id,
  created_at: new Date(row.created_at).toISOString(),
  updated_at: new Date(row.updated_at).toISOString(),
  ...JSON.parse(row.data),
});

/** The bare echo: parse the JSON body, answer `{echo, n}` (also what instructions.ts counts against). */
export async function bareEcho(request: Request): Promise<Response> {
  const body = (await request.json()) as { msg?: unknown; n?: unknown };
  return Response.json({ echo: body.msg, n: body.n });
}

let counter = 0;
const newId = () => `rec_${Date.now().toString(36)}${(counter++).toString(36).padStart(8, "0")}`;

if (import.meta.main) {
  const mode = arg("mode", "echo") as BaselineMode;
  if (!["echo", "insert", "select"].includes(mode)) {
    console.error(`baseline: unknown --mode ${mode} (echo, insert or select)`);
    process.exit(1);
  }
  const port = Number(arg("port", "0"));
  const records = Number(arg("records", "100000"));
  const ownDir = arg("dir") === undefined;
  const dir = arg("dir") ?? mkdtempSync(join(tmpdir(), "sb-baseline-"));
  const db = mode === "echo" ? undefined : open(join(dir, "baseline.db"));

  let fetch: (request: Request) => Response | Promise<Response>;
  if (mode === "echo") {
    fetch = bareEcho;
  } else if (mode === "insert") {
    const insert = db!.prepare<Row, [string, string, number]>(
      `INSERT INTO "rec_bench" (id, data, created_at, updated_at) VALUES (?1, ?2, ?3, ?3) RETURNING seq, id, data, created_at, updated_at`,
    );
    fetch = async (request) => {
      const body = await request.json();
      return Response.json(view(insert.get(newId(), JSON.stringify(body), Date.now())!), { status: 201 });
    };
  } else {
    const have = (db!.query(`SELECT count(*) AS n FROM "rec_bench"`).get() as { n: number }).n;
    if (have < records) {
      const add = db!.prepare(`INSERT INTO "rec_bench" (id, data, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)`);
      const customers = Math.max(1, Math.floor(records / RECORDS_PER_CUSTOMER));
      const now = Date.now();
      db!.transaction(() => {
        for (let i = have; i < records; i++) {
          add.run(newId(), JSON.stringify({ customer_id: customerId(i % customers), total: i % 1000, status: "open" }), now);
        }
      })();
      db!.run("ANALYZE");
    }
    const select = db!.prepare<Row, [string, number]>(
      `SELECT seq, id, data, created_at, updated_at FROM "rec_bench" WHERE json_extract("data", '$."customer_id"') = ? ORDER BY "seq" LIMIT ?`,
    );
    const prefix = "/orders/";
    fetch = (request) => {
      const url = request.url;
      const at = url.indexOf(prefix);
      if (at < 0) return new Response("not found", { status: 404 });
      const customer = decodeURIComponent(url.slice(at + prefix.length));
      return Response.json(select.all(customer, 10).map(view));
    };
  }

  const server = Bun.serve({ hostname: "127.0.0.1", port, fetch });
  console.log(`listening on http://${server.hostname}:${server.port}`);
  const stop = () => {
    server.stop(true);
    db?.close();
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
