import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createMemoryLogger } from "../../log";
import { createRecordsReader } from "./reader-thread";
import { createRecordsService } from "./records-service";
import type { RecordView } from "./record-view";
import type { RecordQuery } from "./store";
import { createCollectionsFixture, thrown, type CollectionsFixture } from "./testing";

let f: CollectionsFixture;

beforeAll(async () => {
  f = await createCollectionsFixture({ reader: true });
  f.collections.create(f.owner, { name: "notes", indexes: [{ fields: ["kind"] }] });
  const odd = ["' or 1=1 --", "Zürich ✓ 😀", 'say "hi"\\n', "", "\u0000nul"];
  for (let i = 0; i < 40; i++) {
    const json = JSON.stringify({ n: i, kind: i % 3 ? "plain" : "odd", text: odd[i % odd.length], nested: { list: [i, { deep: i % 2 === 0 }] } });
    // Record 7 holds an object with an own "__proto__" key, as JSON.parse makes it.
    f.records.create(f.accountId, "notes", JSON.parse(i === 7 ? json.replace('"nested":{', '"nested":{"__proto__":{"polluted":true},') : json) as Record<string, unknown>);
  }
});
afterAll(() => f.close());

describe("records reader thread", () => {
  test("select reads on the thread (a promise) and gives exactly the records list() gives", async () => {
    const cases = [
      {},
      { limit: 5 },
      { sort: "-n", limit: 7, offset: 3 },
      { filter: { source: "kind = 'odd'" }, sort: "n" },
      { filter: { source: "kind = '{{k}}'", renderLiteral: () => "plain" }, limit: 4 },
      { filter: { source: "text = '\\' or 1=1 --'" } },
      { filter: { source: "n >= 30 and nested.list[0] < 35" }, sort: "-created_at" },
      { sort: "n", limit: 100, fields: ["n", "text"] },
      { filter: { source: "kind = 'none'" } },
    ];
    for (const options of cases) {
      const pending = f.records.select(f.accountId, "notes", options);
      expect(pending).toBeInstanceOf(Promise);
      const records = await pending;
      expect({ options, records }).toEqual({ options, records: f.records.list(f.accountId, "notes", options).records });
    }
    const [seventh] = await f.records.select(f.accountId, "notes", { filter: { source: "n = 7" } });
    expect(Object.hasOwn(seventh!.nested as object, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test("only while the request thread is busy: otherwise the read is inline, with no thread hop", async () => {
    let busy = false;
    const reader = createRecordsReader(f.testApp.db.path, createMemoryLogger(), { busy: () => busy });
    const records = createRecordsService({ store: f.store, collections: f.collections, reader });
    const options = { filter: { source: "kind = 'odd'" }, limit: 3 };
    const inline = records.select(f.accountId, "notes", options);
    expect(Array.isArray(inline)).toBe(true);
    busy = true;
    const offloaded = records.select(f.accountId, "notes", options);
    expect(offloaded).toBeInstanceOf(Promise);
    expect(await offloaded).toEqual(inline as RecordView[]);
    reader.close();
    expect(Array.isArray(records.select(f.accountId, "notes", options))).toBe(true); // closed: inline again
  });

  test("at most 256 reads wait on the thread; beyond them reads are inline", async () => {
    const reader = createRecordsReader(f.testApp.db.path, createMemoryLogger(), { busy: () => true });
    const records = createRecordsService({ store: f.store, collections: f.collections, reader });
    const answers = Array.from({ length: 300 }, () => records.select(f.accountId, "notes", { limit: 1 }));
    expect(answers.filter((answer) => answer instanceof Promise)).toHaveLength(256);
    const settled = await Promise.all(answers);
    for (const page of settled) expect(page).toEqual(settled[0]!);
    expect(reader.worthIt()).toBe(true); // the queue drained
    reader.close();
  });

  test("a record written is in the very next read", async () => {
    for (let i = 0; i < 25; i++) {
      const created = f.records.create(f.accountId, "notes", { n: 1000 + i, kind: "fresh" });
      const found = await f.records.select(f.accountId, "notes", { filter: { source: `n = ${1000 + i}` } });
      expect(found.map((r) => r.id)).toEqual([created.id]);
    }
    const all = await Promise.all(Array.from({ length: 25 }, () => f.records.select(f.accountId, "notes", { filter: { source: "kind = 'fresh'" }, limit: 100 })));
    for (const page of all) expect(page).toHaveLength(25);
  });

  test("an unknown collection or a bad filter is refused at once, in this thread", () => {
    expect(thrown(() => f.records.select(f.accountId, "nope", {})).status).toBe(404);
    expect(thrown(() => f.records.select(f.accountId, "notes", { filter: { source: "kind = = 1" } })).status).toBe(400);
  });

  const page = (limit = 5): RecordQuery => ({ sort: [{ column: "seq", desc: false }], limit });
  const notesTable = () => f.collections.byName(f.accountId, "notes").tableName;

  test("a database the thread cannot open: reads run here, and that is logged once", async () => {
    const logger = createMemoryLogger();
    const reader = createRecordsReader("/nonexistent/dir/switchboard.db", logger);
    const here: RecordView[] = [{ id: "rec_here", created_at: "x", updated_at: "x" }];
    let calls = 0;
    const read = () => reader.select(notesTable(), page(), undefined, () => (calls++, here));
    expect(await read()).toEqual(here);
    expect(await read()).toEqual(here);
    expect(calls).toBe(2);
    expect(logger.lines.filter((line) => line.includes("records reader thread failed"))).toHaveLength(1);
    reader.close();
  });

  test("close(): reads still pending and later ones are answered here", async () => {
    const logger = createMemoryLogger();
    const reader = createRecordsReader(f.testApp.db.path, logger);
    const viaThread = await reader.select(notesTable(), page(3), undefined, () => []);
    expect(viaThread).toEqual(f.records.list(f.accountId, "notes", { sort: "created_at", limit: 3 }).records);
    const pending = reader.select(notesTable(), page(), undefined, () => [{ id: "here", created_at: "", updated_at: "" }]);
    reader.close();
    expect((await pending)[0]!.id).toBe("here");
    expect(await reader.select(notesTable(), page(), undefined, () => [])).toEqual([]);
    expect(logger.lines).toEqual([]);
  });

  test("a read that fails rejects that read only", async () => {
    const reader = createRecordsReader(f.testApp.db.path, createMemoryLogger());
    await expect(reader.select(notesTable().replace(/.$/, (c) => (c === "0" ? "1" : "0")), page(), undefined, () => [])).rejects.toThrow("no such table");
    expect(await reader.select(notesTable(), page(2), undefined, () => [])).toHaveLength(2);
    reader.close();
  });
});
