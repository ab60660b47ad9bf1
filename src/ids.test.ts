import { describe, expect, test } from "bun:test";
import { newId } from "./ids";

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
