/**
 * @module modules/executions/testing
 * Fixtures for this module's tests: a real history database file in a temp dir, and records.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HISTORY_FILE, openHistoryDatabase } from "../../db/history";
import { newId } from "../../ids";
import { createExecutionsStore, type ExecutionsStoreOptions } from "./store";
import type { ExecutionRecord } from "./types";

/** A history database file of its own, with the executions store over it. */
export function openTestStore(options: ExecutionsStoreOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), "sb-exec-"));
  const path = join(dir, HISTORY_FILE);
  const db = openHistoryDatabase(path);
  const store = createExecutionsStore(db, options);
  return {
    db,
    store,
    path,
    close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A completed one-step execution of `ep_1` in `acc_1`, with `overrides` applied. */
export function makeRecord(overrides: Partial<ExecutionRecord> = {}): ExecutionRecord {
  const startedAt = overrides.started_at ?? Date.now();
  return {
    id: newId("exe", startedAt),
    account_id: "acc_1",
    endpoint_id: "ep_1",
    kind: "endpoint",
    status: "completed",
    http_status: 200,
    method: "POST",
    path: "/api/v1/x/default/orders",
    started_at: startedAt,
    duration_ms: 3,
    steps: [{ index: 0, type: "transform", status: "completed", duration_ms: 1, result: { ok: true } }],
    ...overrides,
  };
}
