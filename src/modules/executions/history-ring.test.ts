import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { createRingMemory, READ_POS, ringReader, ringWriter, SLEEPING, WRITE_POS } from "./history-ring";

describe("history ring", () => {
  test("frames come out in order and whole, unicode included", () => {
    const memory = createRingMemory(1024);
    const writer = ringWriter(memory);
    const reader = ringReader(memory);
    expect(reader.empty()).toBe(true);
    expect(reader.take()).toEqual([]);
    for (const text of ["[]", '[{"a":"ünï 🙂 \\u0000"}]', "x".repeat(300)]) expect(writer.write(text)).toBe("written");
    expect(reader.empty()).toBe(false);
    expect(reader.take()).toEqual(["[]", '[{"a":"ünï 🙂 \\u0000"}]', "x".repeat(300)]);
    expect(reader.empty()).toBe(true);
  });

  test("a frame that runs past the end continues at the start", () => {
    const memory = createRingMemory(64);
    const writer = ringWriter(memory);
    const reader = ringReader(memory);
    // 24 + 24 + 14 bytes a round: each round starts 62 bytes on, so headers and bodies wrap at
    // every offset in turn.
    for (let round = 0; round < 40; round++) {
      const frames = ["a".repeat(20), "ü".repeat(10), `${round % 10}`.repeat(10)];
      for (const text of frames) expect(writer.write(text)).toBe("written");
      expect(reader.take()).toEqual(frames);
      reader.release();
    }
  });

  test("a full ring refuses until the reader gives space back; what was taken stays until released", () => {
    const memory = createRingMemory(64);
    const writer = ringWriter(memory);
    const reader = ringReader(memory);
    expect(writer.write("a".repeat(28))).toBe("written");
    expect(writer.write("b".repeat(28))).toBe("written");
    expect(writer.write("c")).toBe("full");
    expect(reader.take()).toEqual(["a".repeat(28), "b".repeat(28)]);
    // Taken is not released: the space is still held (the main thread may need to rewrite it).
    expect(writer.write("c")).toBe("full");
    expect(ringReader(memory).take()).toEqual(["a".repeat(28), "b".repeat(28)]);
    reader.release();
    expect(Atomics.load(new Int32Array(memory.control), READ_POS)).toBe(writer.position());
    expect(writer.write("c")).toBe("written");
    expect(ringReader(memory).take()).toEqual(["c"]);
  });

  test("a frame larger than half the ring is refused for good", () => {
    const memory = createRingMemory(128);
    const writer = ringWriter(memory);
    expect(writer.write("x".repeat(61))).toBe("too_big");
    // Short in characters, long in bytes: measured in bytes.
    expect(writer.write("€".repeat(21))).toBe("too_big");
    expect(writer.write("x".repeat(60))).toBe("written");
    expect(ringReader(memory).take()).toEqual(["x".repeat(60)]);
  });

  test("positions keep working when they wrap past 2^31", () => {
    const memory = createRingMemory(64);
    const control = new Int32Array(memory.control);
    Atomics.store(control, WRITE_POS, 2 ** 31 - 10);
    Atomics.store(control, READ_POS, 2 ** 31 - 10);
    const writer = ringWriter(memory);
    const reader = ringReader(memory);
    for (let i = 0; i < 5; i++) {
      expect(writer.write(`frame ${i} ${"z".repeat(10)}`)).toBe("written");
      expect(reader.take()).toEqual([`frame ${i} ${"z".repeat(10)}`]);
      reader.release();
    }
    expect(writer.position()).toBeLessThan(0);
  });

  test("the reader starts asleep; the writer takes the flag once", () => {
    const memory = createRingMemory(64);
    const writer = ringWriter(memory);
    expect(writer.takeSleeping()).toBe(true);
    expect(writer.takeSleeping()).toBe(false);
    Atomics.store(new Int32Array(memory.control), SLEEPING, 1);
    expect(writer.takeSleeping()).toBe(true);
  });

  test("any sequence of writes, takes and releases delivers every accepted frame once, in order", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("write" as const), text: fc.string({ unit: "grapheme", maxLength: 40 }) }),
      fc.record({ kind: fc.constant("take" as const) }),
      fc.record({ kind: fc.constant("release" as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const memory = createRingMemory(256);
        const writer = ringWriter(memory);
        const reader = ringReader(memory);
        const accepted: string[] = [];
        const delivered: string[] = [];
        for (const o of ops) {
          if (o.kind === "write") {
            const result = writer.write(o.text);
            if (result === "written") accepted.push(o.text);
            else expect(result).toBe(Buffer.byteLength(o.text) + 4 > 128 ? "too_big" : "full");
          } else if (o.kind === "take") delivered.push(...reader.take());
          else reader.release();
        }
        delivered.push(...reader.take());
        expect(delivered).toEqual(accepted);
      }),
      { numRuns: 300 },
    );
  });
});
