import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMemoryLogger } from "../../log";
import { ActionError, type ActionContext } from "../../plugin-api";
import { describeLoadError, loadPlugins, pluginFiles } from "./loader";
import { createPluginRegistry } from "./registry";
import { registerPluginModule } from "./virtual-module";

const plugin = (type: string, extra = "") => `import { definePlugin, t, ActionError } from "switchboard/plugin";
export default definePlugin({
  type: ${JSON.stringify(type)},
  title: "T ${type}",
  description: "D ${type}",
  config: t.Object({ text: t.String() }),
  run(_ctx, config) {
    if (config.text === "fail") throw new ActionError("UPSTREAM_ERROR", "asked to fail");
    return config.text.toUpperCase();
  },
});
${extra}`;

/** name -> content; each broken file is expected to cost exactly one warn line. */
const FILES: Record<string, string> = {
  "a_good.ts": plugin("good_one"),
  "b_named.js": `import { definePlugin, t } from "switchboard/plugin";
const base = { title: "N", description: "Named", config: t.Object({}) };
export const first = definePlugin({ ...base, type: "named_first", run: () => 1 });
export const second = definePlugin({ ...base, type: "named_second", run: () => 2 });
export const alias = first; // the same definition twice counts once
export const notAPlugin = { answer: 42 };`,
  "c_syntax.ts": `import { definePlugin } from "switchboard/plugin";\nexport default definePlugin({ type: "broken", title: \n`,
  "d_throws.ts": `throw new Error("boom at load");`,
  "e_duplicate.ts": plugin("good_one"),
  "f_bad_schema.ts": `import { definePlugin } from "switchboard/plugin";
export default definePlugin({ type: "bad_schema", title: "B", description: "Plain JSON schema", config: { type: "object" } as any, run: () => 1 });`,
  "g_not_plugin.ts": `export const helper = (x: number) => x * 2;`,
  "h_npm_import.ts": `import pad from "left-pad-that-is-not-installed";\nexport default pad;`,
  "i_bad_name.ts": plugin("Bad-Name"),
  "j_hangs.ts": `await new Promise(() => {});\nexport default 1;`,
  // Never loaded: tests, declarations, other extensions.
  "a_good.test.ts": `throw new Error("a test file must not be loaded");`,
  "types.d.ts": `declare const x: number;`,
  "README.md": `# not code`,
};
const BROKEN = ["c_syntax.ts", "d_throws.ts", "e_duplicate.ts", "f_bad_schema.ts", "g_not_plugin.ts", "h_npm_import.ts", "i_bad_name.ts", "j_hangs.ts"];

let root: string;
let dirA: string;
let dirB: string;

beforeAll(() => {
  registerPluginModule();
  root = mkdtempSync(join(tmpdir(), "sb-plugins-"));
  dirA = join(root, "plugins");
  dirB = join(root, "data", "plugins");
  mkdirSync(join(dirA, "nested"), { recursive: true });
  mkdirSync(dirB, { recursive: true });
  for (const [name, content] of Object.entries(FILES)) writeFileSync(join(dirA, name), content);
  writeFileSync(join(dirA, "nested", "deep.ts"), plugin("too_deep"));
  writeFileSync(join(dirB, "a_second_dir.ts"), plugin("from_data_dir"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("loadPlugins", () => {
  test("good plugins load from every folder; each broken file costs one warn line; nothing throws", async () => {
    const registry = createPluginRegistry();
    const logger = createMemoryLogger("json");
    const report = await loadPlugins(registry, [dirA, join(root, "missing"), dirB, dirA], logger, { importTimeoutMs: 300 });

    expect(report.loaded).toEqual(["good_one", "named_first", "named_second", "from_data_dir"]);
    expect(registry.list().map((p) => p.definition.type)).toEqual(["from_data_dir", "good_one", "named_first", "named_second"]);
    expect(registry.get("good_one")!.source).toBe(join(dirA, "a_good.ts"));

    const warns = logger.lines.map((l) => JSON.parse(l)).filter((l) => l.level === "warn");
    expect(warns.every((w) => w.msg === "plugin skipped" && typeof w.error === "string" && !w.error.includes("\n"))).toBe(true);
    expect(warns.map((w) => w.file).sort()).toEqual(BROKEN.map((f) => join(dirA, f)).sort());
    expect(report.failed.map((f) => f.file).sort()).toEqual(BROKEN.map((f) => join(dirA, f)).sort());

    const reason = (name: string) => report.failed.find((f) => f.file === join(dirA, name))!.error;
    expect(reason("c_syntax.ts")).toMatch(/at line \d+:\d+/);
    expect(reason("d_throws.ts")).toBe("boom at load");
    expect(reason("e_duplicate.ts")).toMatch(/"good_one" is already registered by .*a_good\.ts/);
    expect(reason("f_bad_schema.ts")).toMatch(/TypeBox object schema/);
    expect(reason("g_not_plugin.ts")).toMatch(/exports no plugin definition/);
    expect(reason("h_npm_import.ts")).toMatch(/left-pad-that-is-not-installed/);
    expect(reason("i_bad_name.ts")).toMatch(/invalid action type "Bad-Name"/);
    expect(reason("j_hangs.ts")).toMatch(/did not finish loading within 300 ms/);
    expect(warns.find((w) => w.file.endsWith("e_duplicate.ts")).type).toBe("good_one");
  });

  test("a loaded plugin runs, and its ActionError is the host's class", async () => {
    const registry = createPluginRegistry();
    await loadPlugins(registry, [dirB], createMemoryLogger());
    const run = registry.get("from_data_dir")!.definition.run;
    const ctx = {} as ActionContext;
    expect(await run(ctx, { text: "hi" })).toBe("HI");
    let thrown: unknown;
    try {
      await run(ctx, { text: "fail" });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ActionError);
    expect((thrown as ActionError).code).toBe("UPSTREAM_ERROR");
  });

  test("no folders, or only missing ones: nothing loaded, nothing logged", async () => {
    const logger = createMemoryLogger();
    expect(await loadPlugins(createPluginRegistry(), [join(root, "nope")], logger)).toEqual({ loaded: [], failed: [] });
    expect(logger.lines).toEqual([]);
  });
});

describe("pluginFiles", () => {
  test("only *.ts and *.js directly in the folder, sorted, tests and declarations left out", () => {
    const names = pluginFiles([dirA]).map((f) => f.slice(dirA.length + 1));
    expect(names).toEqual(Object.keys(FILES).filter((n) => /\.(ts|js)$/.test(n) && !/\.test\.ts$|\.d\.ts$/.test(n)).sort());
  });
});

describe("describeLoadError", () => {
  const cases: [string, unknown, string][] = [
    ["an Error, first line only", new Error("first\nsecond"), "first"],
    ["a string", "plain", "plain"],
    ["a build message with its position", Object.assign(new Error("Unexpected end of file"), { position: { line: 2, column: 40 } }), "Unexpected end of file at line 2:40"],
    [
      "a build AggregateError",
      new AggregateError([Object.assign(new Error("Unexpected }"), { position: { line: 3, column: 7 } }), new Error("another")], "2 errors building x"),
      "Unexpected } at line 3:7 (+1 more)",
    ],
  ];
  for (const [name, error, expected] of cases) test(name, () => expect(describeLoadError(error)).toBe(expected));
});
