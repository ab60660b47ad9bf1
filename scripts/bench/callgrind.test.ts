import { describe, expect, test } from "bun:test";
import { functionCosts, jitNamer, jsFunctionOf, readJitDump, type JitCode } from "./callgrind";

/** A JITDump file as JSC writes it: the 40-byte header, then one JIT_CODE_LOAD record per load. */
function jitDump(loads: readonly JitCode[], extra: Uint8Array[] = []): Uint8Array {
  const parts: Uint8Array[] = [];
  const header = new DataView(new ArrayBuffer(40));
  header.setUint32(0, 0x4a695444, true);
  header.setUint32(4, 1, true);
  header.setUint32(8, 40, true);
  parts.push(new Uint8Array(header.buffer));
  for (const load of loads) {
    const name = new TextEncoder().encode(`${load.name}\0`);
    const code = new Uint8Array(load.end - load.start).fill(0x90);
    const record = new DataView(new ArrayBuffer(56 + name.length + code.length));
    record.setUint32(0, 0, true); // JIT_CODE_LOAD
    record.setUint32(4, record.byteLength, true);
    record.setBigUint64(8, 1n, true); // timestamp
    record.setUint32(16, 42, true); // pid
    record.setUint32(20, 42, true); // tid
    record.setBigUint64(24, BigInt(load.start), true); // vma
    record.setBigUint64(32, BigInt(load.start), true); // code_addr
    record.setBigUint64(40, BigInt(load.end - load.start), true); // code_size
    record.setBigUint64(48, 7n, true); // code_index
    const bytes = new Uint8Array(record.buffer);
    bytes.set(name, 56);
    bytes.set(code, 56 + name.length);
    parts.push(bytes);
  }
  parts.push(...extra);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe("readJitDump", () => {
  test("reads each code load's address range and name", () => {
    const loads = [
      { start: 0x7000, end: 0x7100, name: "JSC-DFG: admit#EZVCGI" },
      { start: 0x7100, end: 0x7180, name: "JSC-FTL: finish#Ba4FEU" },
    ];
    expect(readJitDump(jitDump(loads))).toEqual(loads);
  });

  test("stops at a record cut short and refuses what is not a JITDump", () => {
    const loads = [{ start: 0x7000, end: 0x7010, name: "JSC-FTL: f#AAAAAA" }];
    const cut = new Uint8Array(20);
    new DataView(cut.buffer).setUint32(4, 500, true); // claims more bytes than are left
    expect(readJitDump(jitDump(loads, [cut]))).toEqual(loads);
    expect(() => readJitDump(new TextEncoder().encode("not a dump at all"))).toThrow("not a JITDump");
  });
});

describe("jitNamer and jsFunctionOf", () => {
  test("an address names the JIT code holding it; the later of two loads at one address wins", () => {
    const name = jitNamer([
      { start: 0x1000, end: 0x1100, name: "JSC-Baseline: old#AAAAAA" },
      { start: 0x1000, end: 0x1040, name: "JSC-FTL: new#BBBBBB" },
    ]);
    expect(name("0x0000000000001010")).toBe("JSC-FTL: new#BBBBBB");
    expect(name("0x0000000000001080'2")).toBe("JSC-Baseline: old#AAAAAA");
    expect(name("0x0000000000002000")).toBeUndefined();
    expect(name("memcpy")).toBeUndefined();
  });

  test("only JavaScript functions have a name#hash; thunks and caches are not functions", () => {
    expect(jsFunctionOf("JSC-FTL: finish#Ba4FEU")).toBe("finish#Ba4FEU");
    expect(jsFunctionOf("JSC-DFG: #AZ5v97")).toBe("#AZ5v97");
    expect(jsFunctionOf("JSC-InlineCache: VirtualCall")).toBeUndefined();
    expect(jsFunctionOf("JSC-YarrJIT: /^sb_[0-9A-Za-z]{32}$/")).toBeUndefined();
  });
});

describe("functionCosts", () => {
  // `outer` (two copies: DFG at 0x10, FTL at 0x20) calls `inner` and a native function; the FTL
  // copy also calls the DFG copy, which must not count twice.
  const names: Record<string, string> = { "0x10": "outer#A", "0x20": "outer#A", "0x30": "inner#B" };
  const nameOf = (raw: string) => names[raw];
  const file = [
    "version: 1",
    "events: Ir",
    "fn=(1) 0x10",
    "0 100",
    "cfn=(2) 0x30",
    "calls=3 0",
    "0 50",
    "+1 5",
    "cfn=(3) 0x999",
    "calls=1 0",
    "0 400",
    "fn=(4) 0x20",
    "* 7",
    "cfn=(1)",
    "calls=1 0",
    "0 555",
    "fn=(2)",
    "0 50",
    "totals: 1167",
  ].join("\n");

  test("self and inclusive per JavaScript function, copies added up, native callees included", () => {
    const costs = functionCosts(file, nameOf);
    expect(costs).toEqual([
      { name: "outer#A", self: 112, inclusive: 562 },
      { name: "inner#B", self: 50, inclusive: 50 },
    ]);
  });
});
