import { describe, expect, test } from "bun:test";
import { idTime, newId } from "./ids";

describe("newId", () => {
  test("prefix, 10 time characters and 16 random ones in Crockford base32", () => {
    expect(newId("req")).toMatch(/^req_[0-9a-hjkmnp-tv-z]{26}$/);
  });

  test("ids sort by their time; ids of one millisecond differ", () => {
    const a = newId("x", 1_700_000_000_000);
    const b = newId("x", 1_700_000_000_001);
    expect(a < b).toBe(true);
    const same = new Set(Array.from({ length: 10_000 }, () => newId("x", 1_700_000_000_000)));
    expect(same.size).toBe(10_000);
    expect([...same].every((id) => id.slice(0, 12) === a.slice(0, 12))).toBe(true);
  });

  test("the random part stays unique across pool refills", () => {
    const ids = new Set(Array.from({ length: 2_000 }, () => newId("r").slice(12)));
    expect(ids.size).toBe(2_000);
  });

  test("random characters use the whole alphabet evenly", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) for (const c of newId("r").slice(12)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(32);
    // 160,000 characters over 32 letters: 5,000 each, and a fair source stays well within 15%.
    for (const n of counts.values()) expect(Math.abs(n - 5_000)).toBeLessThan(750);
  });
});

describe("idTime", () => {
  test("reads back the time newId wrote", () => {
    for (const ms of [0, 1, Date.UTC(2025, 0, 1), Date.now(), 32 ** 10 - 1]) expect(idTime(newId("exe", ms))).toBe(ms);
    expect(idTime(newId("req"))).toBeGreaterThan(Date.now() - 1000);
  });

  test("anything else is not an id", () => {
    for (const bad of ["", "exe_", "exe_1", "01jd3x4k5m6n7p8q9r0s1t2v3w", `exe_${"u".repeat(26)}`, `exe_${"0".repeat(27)}`, `exe_${"0".repeat(25)}`, "exe_' or 1=1 --xxxxxxxxxxxxxxxxx"]) {
      expect(idTime(bad)).toBeUndefined();
    }
  });
});
