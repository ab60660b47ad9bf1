/** @module expr/json-path.test JSON path resolvers: what they build and what they refuse. */

import { describe, expect, test } from "bun:test";
import { jsonPathField, recordFieldResolver } from "./json-path.ts";

describe("jsonPathField", () => {
  test.each([
    ["name", `json_extract("data", '$."name"')`],
    ["a.b.c", `json_extract("data", '$."a"."b"."c"')`],
    ["items[0].sku", `json_extract("data", '$."items"[0]."sku"')`],
    ["m[1][2]", `json_extract("data", '$."m"[1][2]')`],
    ["__proto__", `json_extract("data", '$."__proto__"')`],
    ["_x9", `json_extract("data", '$."_x9"')`],
  ])("%s", (name, sql) => {
    expect(jsonPathField("data", name)).toBe(sql);
  });

  test.each(["", "a-b", "a.", ".a", "9a", "a[x]", "a[01]", "a'b", 'a"b', "a b", "a..b", "é", "a['b']", "a[-1]", "a.b') OR 1=1 --"])("%j is refused", (name) => {
    expect(jsonPathField("data", name)).toBeNull();
  });

  test("the column must be an identifier", () => {
    expect(() => jsonPathField('data"; DROP', "a")).toThrow("invalid column name");
  });
});

describe("recordFieldResolver", () => {
  const resolve = recordFieldResolver({ id: "id", created_at: "created_at" });
  test.each([
    ["id", `"id"`],
    ["created_at", `"created_at"`],
    ["title", `json_extract("data", '$."title"')`],
    ["constructor", `json_extract("data", '$."constructor"')`],
    ["toString", `json_extract("data", '$."toString"')`],
    ["x-y", null],
  ])("%s", (name, sql) => {
    expect(resolve(name)).toBe(sql);
  });

  test("column names are checked up front", () => {
    expect(() => recordFieldResolver({ id: "id;" })).toThrow("invalid column name");
  });
});
