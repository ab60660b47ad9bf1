import { afterEach, describe, expect, test } from "bun:test";
import { createMemoryLogger } from "../../log";
import { REDACTED } from "./redact";
import { createExecutionRecorder, type RecorderOptions } from "./recorder";
import { sanitizeRecord } from "./sanitize";
import type { ExecutionsStore } from "./store";
import { makeRecord, openTestStore } from "./testing";

const SECRET = "whsec_9f8e7d6c5b4a";
let open: ReturnType<typeof openTestStore> | undefined;
afterEach(() => {
  open?.close();
  open = undefined;
});

/** The real store, with each insert transaction's size noted. */
function setup(options: RecorderOptions = {}) {
  open = openTestStore();
  const { store } = open;
  const transactions: number[] = [];
  const counted: ExecutionsStore = {
    ...store,
    insertRows(rows) {
      transactions.push(rows.length);
      store.insertRows(rows);
    },
  };
  const logger = createMemoryLogger("json");
  const recorder = createExecutionRecorder(counted, logger, { flushIntervalMs: 60_000, ...options });
  return { ...open, recorder, transactions, logs: logger.lines };
}

describe("execution recorder", () => {
  test("record() writes nothing; flush() writes in batches of maxBatch", () => {
    const { recorder, store, transactions } = setup({ maxBatch: 400 });
    for (let i = 0; i < 1_000; i++) recorder.record(makeRecord(), []);
    expect(store.countForEndpoint("ep_1")).toBe(0);
    expect(recorder.pending()).toBe(1_000);
    recorder.flush();
    expect(transactions).toEqual([400, 400, 200]);
    expect(store.countForEndpoint("ep_1")).toBe(1_000);
    expect(recorder.pending()).toBe(0);
    recorder.flush();
    expect(transactions).toHaveLength(3);
  });

  test("the timer flushes on its own, a backlog in slices", async () => {
    const { recorder, store, transactions } = setup({ flushIntervalMs: 20, maxBatch: 100 });
    for (let i = 0; i < 950; i++) recorder.record(makeRecord(), []);
    expect(store.countForEndpoint("ep_1")).toBe(0);
    for (let i = 0; i < 100 && recorder.pending() > 0; i++) await Bun.sleep(10);
    expect(store.countForEndpoint("ep_1")).toBe(950);
    expect(transactions).toEqual([100, 100, 100, 100, 100, 100, 100, 100, 100, 50]);
    recorder.stop();
  });

  test("stop() flushes what is queued", () => {
    const { recorder, store } = setup();
    for (let i = 0; i < 3; i++) recorder.record(makeRecord(), []);
    recorder.stop();
    expect(store.countForEndpoint("ep_1")).toBe(3);
  });

  test("a full queue drops the oldest and says how many once", () => {
    const { recorder, store, logs } = setup({ maxQueue: 10 });
    const records = Array.from({ length: 25 }, (_, i) => makeRecord({ started_at: 1_700_000_000_000 + i }));
    for (const rec of records) recorder.record(rec, []);
    expect(recorder.pending()).toBe(10);
    recorder.flush();
    const kept = store.listForEndpoint("acc_1", "ep_1", { limit: 50 }).rows.map((r) => r.id);
    expect(kept).toEqual(records.slice(15).map((r) => r.id).reverse());
    const warnings = logs.map((l) => JSON.parse(l)).filter((l) => l.level === "warn");
    expect(warnings).toEqual([expect.objectContaining({ msg: expect.stringContaining("dropped"), dropped: 15, max_queue: 10 })]);
    recorder.flush();
    expect(logs.filter((l) => l.includes("dropped"))).toHaveLength(1);
  });

  test("secrets are scrubbed and results truncated at flush, not at record()", () => {
    const { recorder, store } = setup();
    const rec = makeRecord({
      error_message: `upstream rejected ${SECRET}`,
      path: `/api/v1/x/default/hook?sig=${SECRET}`,
      steps: [
        {
          index: 0,
          type: "send_webhook",
          name: "notify",
          status: "failed",
          duration_ms: 5,
          result: { request: { headers: { Authorization: "Bearer abc", "x-sig": SECRET } }, big: "x".repeat(10_000) },
          error: { code: "UPSTREAM_ERROR", message: `got 401 for ${SECRET}` },
        },
      ],
    });
    recorder.record(rec, [SECRET]);
    // The caller's object is untouched: the work happens later, on a copy.
    expect(rec.error_message).toContain(SECRET);
    recorder.flush();
    const stored = store.get("acc_1", rec.id)!;
    expect(JSON.stringify(stored)).not.toContain(SECRET);
    expect(stored.error_message).toBe(`upstream rejected ${REDACTED}`);
    expect(stored.path).toBe(`/api/v1/x/default/hook?sig=${REDACTED}`);
    expect(stored.steps[0]!.error).toEqual({ code: "UPSTREAM_ERROR", message: `got 401 for ${REDACTED}` });
    expect(stored.steps[0]!.result).toMatchObject({ truncated: true, bytes: expect.any(Number) });
    expect((stored.steps[0]!.result as { preview: string }).preview).toStartWith(`{"request":{"headers":{"Authorization":"${REDACTED}","x-sig":"${REDACTED}"}}`);
  });

  test("a secret cut by the preview boundary is still redacted", () => {
    const filler = "y".repeat(4090); // with the opening quote, the preview ends 5 characters into the secret
    const out = sanitizeRecord(makeRecord({ steps: [{ index: 0, type: "t", status: "completed", duration_ms: 0, result: filler + SECRET }] }), [SECRET]);
    const preview = (out.steps[0]!.result as { preview: string }).preview;
    expect(preview).not.toContain(SECRET.slice(0, 5));
    expect(preview.endsWith("[REDA")).toBe(true);
  });

  test("a failed insert is logged without record content and loses only the bad record", () => {
    const { recorder, store, logs } = setup();
    const existing = makeRecord();
    store.insertMany([existing]);
    const good = [makeRecord(), makeRecord()];
    recorder.record(good[0]!, []);
    // A record without an account breaks the NOT NULL constraint of its chunk.
    recorder.record({ ...makeRecord(), account_id: null as unknown as string, error_message: `bad ${SECRET}` }, []);
    recorder.record(good[1]!, []);
    expect(() => recorder.flush()).not.toThrow();
    expect(store.countForEndpoint("ep_1")).toBe(3);
    const errors = logs.map((l) => JSON.parse(l)).filter((l) => l.level === "error");
    expect(errors).toEqual([expect.objectContaining({ failed: 1, of: 3, error: expect.stringContaining("NOT NULL") })]);
    expect(logs.join("\n")).not.toContain(SECRET);
  });

  test("a closed database is logged, not thrown", () => {
    const { recorder, db, logs } = setup();
    recorder.record(makeRecord({ error_message: SECRET }), [SECRET]);
    db.sqlite.close();
    expect(() => recorder.stop()).not.toThrow();
    expect(logs.some((l) => l.includes('"level":"error"'))).toBe(true);
    expect(logs.join("\n")).not.toContain(SECRET);
    open = undefined; // already closed
  });

  test("record() stays cheap with a big queue", () => {
    const { recorder } = setup({ maxQueue: 20_000 });
    const rec = makeRecord();
    const started = performance.now();
    for (let i = 0; i < 100_000; i++) recorder.record(rec, [SECRET]);
    expect(performance.now() - started).toBeLessThan(500);
    expect(recorder.pending()).toBe(20_000);
  });
});
