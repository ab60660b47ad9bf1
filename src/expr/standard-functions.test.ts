/** @module expr/standard-functions.test The built-in functions, one row per case. */

import { describe, expect, test } from "bun:test";
import { compileCondition } from "./condition.ts";

const run = (source: string, ctx: Record<string, unknown>) => compileCondition(source).evaluate(ctx);

describe("@has_role", () => {
  test.each([
    [{ auth: { roles: ["admin"] } }, "admin", true],
    [{ auth: { roles: ["admin"] } }, "Admin", false],
    [{ auth: { roles: [] } }, "admin", false],
    [{ auth: { roles: "admin" } }, "admin", false],
    [{ auth: {} }, "admin", false],
    [{}, "admin", false],
  ])("%j has %s -> %p", (ctx, role, expected) => {
    expect(run(`@has_role('${role}')`, ctx)).toBe(expected);
  });
});

describe("@is_authenticated", () => {
  test.each([
    [{ auth: { user_id: "u1" } }, true],
    [{ auth: { key_id: "k1" } }, true],
    [{ auth: { user_id: "", key_id: null } }, false],
    [{ auth: {} }, false],
    [{ auth: null }, false],
    [{}, false],
  ])("%j -> %p", (ctx, expected) => {
    expect(run("@is_authenticated()", ctx)).toBe(expected);
  });
});

describe("@owns_record (record.owner_id = auth.user_id)", () => {
  test.each([
    [{ auth: { user_id: "u1" }, record: { owner_id: "u1" } }, true],
    [{ auth: { user_id: "u1" }, record: { owner_id: "u2" } }, false],
    [{ auth: { user_id: 7 }, record: { owner_id: "7" } }, true],
    [{ auth: { user_id: "u1" }, record: {} }, false],
    [{ auth: {}, record: { owner_id: null } }, false],
    [{ auth: { user_id: "" }, record: { owner_id: "" } }, false],
    [{ auth: { key_id: "k" }, record: { owner_id: "k" } }, false],
    [{ record: { owner_id: "u1" } }, false],
  ])("%j -> %p", (ctx, expected) => {
    expect(run("@owns_record()", ctx)).toBe(expected);
  });
});

describe("@ip_in", () => {
  test.each([
    ["10.0.0.0/8", "10.255.0.1", true],
    ["10.0.0.0/8", "11.0.0.1", false],
    ["192.168.1.0/24", "192.168.1.77", true],
    ["192.168.1.5", "192.168.1.5", true],
    ["192.168.1.5", "192.168.1.6", false],
    ["0.0.0.0/0", "8.8.8.8", true],
    ["10.0.0.0/8", "::ffff:10.1.1.1", true],
    ["2001:db8::/32", "2001:db8::1", true],
    ["2001:db8::/32", "2001:db9::1", false],
    ["::1/128", "::1", true],
    ["::1", "::1", true],
    ["::ffff:0:0/96", "10.0.0.1", true],
    ["2001:db8::/32", "10.0.0.1", false],
    ["10.0.0.0/8", "2001:db8::1", false],
    ["10.0.0.0/8", "not an ip", false],
    ["10.0.0.0/8", "", false],
  ])("%s contains %s -> %p", (cidr, ip, expected) => {
    expect(run(`@ip_in('${cidr}')`, { request: { ip } })).toBe(expected);
  });

  test("a missing request.ip is outside every range", () => {
    expect(run("@ip_in('0.0.0.0/0')", { request: {} })).toBe(false);
  });

  test.each(["10.0.0.0/33", "10/8", "300.0.0.0/8", "::/129", "", "10.0.0.0/8/8", "localhost"])("%j is rejected at compile time", (cidr) => {
    expect(() => compileCondition(`@ip_in('${cidr}')`)).toThrow("is not a CIDR range at position 7");
  });
});
