/**
 * What `bench:instructions --by-function` reads: a callgrind output file (instructions per
 * function and per call) and the JITDump files JavaScriptCore writes under
 * `BUN_JSC_useJITDump=1`, which name the JIT-compiled code that callgrind only knows by address.
 * Bun's binary has no symbols for its native code either, so native functions stay nameless: their
 * instructions count in the inclusive cost of the JavaScript that called them (a `new Response`
 * in `finish`, a `JSON.parse` in `parseJsonBody`).
 */

/** A piece of JIT code as JITDump announced it (a `JIT_CODE_LOAD` record). */
export interface JitCode {
  start: number;
  end: number;
  /** As JSC names it: `JSC-FTL: finish#Ba4FEU`, `JSC-InlineCache: VirtualCall`, ... */
  name: string;
}

/** One JavaScript function's instructions, over every copy of its code (each JIT tier compiles its own). */
export interface FunctionCost {
  /** `name#hash`: the hash tells apart functions of the same name in different files. */
  name: string;
  self: number;
  /** Its own instructions and those of everything it called (native code included). */
  inclusive: number;
}

const JIT_DUMP_MAGIC = 0x4a695444; // "JiTD"
const JIT_CODE_LOAD = 0;

/** The code loads of a JITDump file, in the order JSC wrote them. Throws when `bytes` is not one. */
export function readJitDump(bytes: Uint8Array): JitCode[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 12 || view.getUint32(0, true) !== JIT_DUMP_MAGIC) throw new Error("not a JITDump file");
  const loads: JitCode[] = [];
  let offset = view.getUint32(8, true); // the header's own size
  while (offset + 16 <= bytes.byteLength) {
    const id = view.getUint32(offset, true);
    const size = view.getUint32(offset + 4, true);
    if (size < 16 || offset + size > bytes.byteLength) break; // a record cut short by the process exiting
    if (id === JIT_CODE_LOAD) {
      // After the record header: pid u32, tid u32, vma u64, code_addr u64, code_size u64, code_index u64, name\0, code.
      const start = Number(view.getBigUint64(offset + 32, true));
      const length = Number(view.getBigUint64(offset + 40, true));
      const nameAt = offset + 56;
      const nameEnd = bytes.indexOf(0, nameAt);
      const name = new TextDecoder().decode(bytes.subarray(nameAt, nameEnd < 0 ? offset + size : nameEnd));
      loads.push({ start, end: start + length, name });
    }
    offset += size;
  }
  return loads;
}

/**
 * Names an address of callgrind's (`0x0000000007950b68`, maybe with a `'2` recursion suffix) by
 * the JIT code holding it. Code freed and compiled again may reuse an address: the later load wins.
 */
export function jitNamer(loads: readonly JitCode[]): (raw: string) => string | undefined {
  const cache = new Map<string, string | undefined>();
  return (raw) => {
    if (cache.has(raw)) return cache.get(raw);
    const hex = /^0x([0-9a-f]+)/i.exec(raw);
    let found: string | undefined;
    if (hex) {
      const address = Number.parseInt(hex[1]!, 16);
      for (const code of loads) if (code.start <= address && address < code.end) found = code.name;
    }
    cache.set(raw, found);
    return found;
  };
}

/** `finish#Ba4FEU` for `JSC-FTL: finish#Ba4FEU`; undefined for code that is not a JavaScript function (thunks, caches, regexps). */
export function jsFunctionOf(jitName: string): string | undefined {
  const colon = jitName.indexOf(": ");
  const name = colon < 0 ? jitName : jitName.slice(colon + 2);
  return /#[A-Za-z0-9]+$/.test(name) ? name : undefined;
}

/**
 * The JavaScript functions of one callgrind file (one thread's, with `--separate-threads=yes`), by
 * their instructions. `nameOf` gives the function's name for callgrind's own (undefined: not a
 * JavaScript function); copies of one function are added up, and a copy calling another copy of
 * itself is not counted twice.
 */
export function functionCosts(callgrindText: string, nameOf: (raw: string) => string | undefined): FunctionCost[] {
  // Callgrind compresses names: `fn=(12) name` defines id 12, a later `fn=(12)` means the same.
  const names = new Map<string, string>();
  const nameIn = (spec: string) => {
    const match = /^\((\d+)\)(?: (.*))?$/.exec(spec);
    if (!match) return spec;
    if (match[2] !== undefined) names.set(match[1]!, match[2]);
    return names.get(match[1]!) ?? spec;
  };
  const costs = new Map<string, FunctionCost>();
  const costOf = (name: string) => {
    let cost = costs.get(name);
    if (!cost) costs.set(name, (cost = { name, self: 0, inclusive: 0 }));
    return cost;
  };
  let current: string | undefined;
  let callee: string | undefined;
  let inCall = false;
  for (const line of callgrindText.split("\n")) {
    if (line.startsWith("fn=")) {
      current = nameOf(nameIn(line.slice(3)));
      inCall = false;
    } else if (line.startsWith("cfn=")) {
      callee = nameOf(nameIn(line.slice(4)));
    } else if (line.startsWith("calls=")) {
      inCall = true;
    } else if (/^[0-9+\-*]/.test(line)) {
      const instructions = Number(line.split(" ")[1] ?? 0);
      if (inCall) {
        // The cost line after `calls=` is what the call cost, callees included.
        inCall = false;
        if (current !== undefined && callee !== current) costOf(current).inclusive += instructions;
      } else if (current !== undefined) {
        costOf(current).self += instructions;
        costOf(current).inclusive += instructions;
      }
    }
  }
  return [...costs.values()].sort((a, b) => b.inclusive - a.inclusive);
}
