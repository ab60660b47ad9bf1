import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate } from "../../db/migrate";
import { openDatabase, type Database } from "../../db/open";
import { ABANDONED_CLAIM_MS, createEndpointsStore } from "./store";

const TTL = 24 * 60 * 60 * 1000;
const NOW = 1_750_000_000_000;
const HASH = "hash-of-the-request";

const opened: { db: Database; dir: string }[] = [];
afterEach(() => {
  for (const { db, dir } of opened.splice(0)) {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A migrated database file (not :memory:, so other processes can open it too). */
function freshDatabase() {
  const dir = mkdtempSync(join(tmpdir(), "sb-idem-"));
  const path = join(dir, "switchboard.db");
  const db = openDatabase(path);
  migrate(db.sqlite);
  opened.push({ db, dir });
  return { db, path, store: createEndpointsStore(db) };
}

/** What a process killed mid-request leaves behind: a pending row, claimed at `claimedAt`. */
function leavePending(db: Database, key: string, claimedAt: number, hash = HASH) {
  db.sqlite
    .query("INSERT INTO idempotency_keys (endpoint_id, caller_key, key, request_hash, status, created_at, expires_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)")
    .run("ep_1", "key:k1", key, hash, claimedAt, claimedAt + TTL);
}

const row = (db: Database, key: string) =>
  db.sqlite.query<{ status: string; created_at: number; expires_at: number }, [string]>("SELECT status, created_at, expires_at FROM idempotency_keys WHERE key = ?").get(key);

describe("Idempotency-Key claims left pending by a dead process", () => {
  const cases: { name: string; claimedAgo: number; hash?: string; expected: string }[] = [
    { name: "claimed longer ago than any call can run: taken over", claimedAgo: ABANDONED_CLAIM_MS + 1, expected: "claimed" },
    { name: "claimed an hour ago (well before the 24 h expiry): taken over", claimedAgo: 60 * 60 * 1000, expected: "claimed" },
    { name: "claimed a second ago: still running", claimedAgo: 1000, expected: "in_progress" },
    { name: "claimed just inside the bound: still running", claimedAgo: ABANDONED_CLAIM_MS - 1, expected: "in_progress" },
    { name: "abandoned, but by another request: still a conflict", claimedAgo: ABANDONED_CLAIM_MS + 1, hash: "another-request", expected: "mismatch" },
  ];
  for (const { name, claimedAgo, hash, expected } of cases) {
    test(name, () => {
      const { db, store } = freshDatabase();
      leavePending(db, "k", NOW - claimedAgo, hash);
      expect(store.claimIdempotencyKey("ep_1", "key:k1", "k", HASH, NOW, TTL).kind).toBe(expected as never);
    });
  }

  test("the bound is past the longest call (30 s), with a margin", () => {
    expect(ABANDONED_CLAIM_MS).toBeGreaterThan(30_000);
    expect(ABANDONED_CLAIM_MS).toBeLessThanOrEqual(5 * 60_000);
  });

  test("a taken-over claim is a new claim: claimed now, pending, expiring a full TTL from now; the next retry waits for it", () => {
    const { db, store } = freshDatabase();
    leavePending(db, "k", NOW - 2 * ABANDONED_CLAIM_MS);
    expect(store.claimIdempotencyKey("ep_1", "key:k1", "k", HASH, NOW, TTL).kind).toBe("claimed");
    expect(row(db, "k")).toEqual({ status: "pending", created_at: NOW, expires_at: NOW + TTL });
    expect(store.claimIdempotencyKey("ep_1", "key:k1", "k", HASH, NOW + 10, TTL).kind).toBe("in_progress");
    store.completeIdempotencyKey("ep_1", "key:k1", "k", { status: 201, headers: {}, body: "{}" });
    expect(store.claimIdempotencyKey("ep_1", "key:k1", "k", HASH, NOW + ABANDONED_CLAIM_MS * 10, TTL)).toEqual({
      kind: "replay",
      response: { status: 201, headers: {}, body: "{}" },
    });
  });

  test("a finished answer is replayed however old, until it expires", () => {
    const { store } = freshDatabase();
    expect(store.claimIdempotencyKey("ep_1", "key:k1", "k", HASH, NOW, TTL).kind).toBe("claimed");
    store.completeIdempotencyKey("ep_1", "key:k1", "k", { status: 200, headers: {}, body: "ok" });
    expect(store.claimIdempotencyKey("ep_1", "key:k1", "k", HASH, NOW + TTL - 1, TTL).kind).toBe("replay");
    expect(store.claimIdempotencyKey("ep_1", "key:k1", "k", HASH, NOW + TTL + 1, TTL).kind).toBe("claimed");
  });

  test("of 100 retries of an abandoned claim from 4 processes at once, exactly one claims it", async () => {
    const { db, path } = freshDatabase();
    leavePending(db, "k", NOW - 2 * ABANDONED_CLAIM_MS);
    const storeModule = join(import.meta.dir, "store.ts");
    const openModule = join(import.meta.dir, "../../db/open.ts");
    const startAt = Date.now() + 400;
    // Each process opens its own connection and fires its 25 claims at the same instant as the others.
    const script = `
      const { openDatabase } = await import(${JSON.stringify(openModule)});
      const { createEndpointsStore } = await import(${JSON.stringify(storeModule)});
      // Opening runs pragmas before the busy timeout is set: processes opening together may be refused once.
      let db;
      for (let tries = 0; !db; tries++) {
        try { db = openDatabase(${JSON.stringify(path)}); } catch (error) { if (tries > 50) throw error; Bun.sleepSync(10); }
      }
      const store = createEndpointsStore(db);
      while (Date.now() < ${startAt}) {}
      const kinds = [];
      for (let i = 0; i < 25; i++) kinds.push(store.claimIdempotencyKey("ep_1", "key:k1", "k", ${JSON.stringify(HASH)}, ${NOW}, ${TTL}).kind);
      console.log(JSON.stringify(kinds));
    `;
    const children = Array.from({ length: 4 }, () => Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" }));
    const outputs = await Promise.all(
      children.map(async (child) => {
        const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
        if (code !== 0) throw new Error(`claiming process failed: ${err}`);
        return JSON.parse(out.trim().split("\n").at(-1)!) as string[];
      }),
    );
    const kinds = outputs.flat();
    expect(kinds).toHaveLength(100);
    expect(kinds.filter((k) => k === "claimed")).toHaveLength(1);
    expect(kinds.filter((k) => k === "in_progress")).toHaveLength(99);
  });
});
