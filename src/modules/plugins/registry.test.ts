import { describe, expect, test } from "bun:test";
import { definePlugin, t, type PluginDefinition } from "../../plugin-api";
import { createPluginRegistry, PluginError } from "./registry";

const good = (type = "shout", extra: Partial<PluginDefinition> = {}): PluginDefinition =>
  ({
    type,
    title: "Shout",
    description: "Upper-cases a text",
    config: t.Object({ text: t.String() }),
    run: (_ctx: unknown, config: { text: string }) => config.text.toUpperCase(),
    ...extra,
  }) as PluginDefinition;

function registerError(def: unknown): string {
  try {
    createPluginRegistry().register(def as PluginDefinition, "/p/x.ts");
  } catch (error) {
    expect(error).toBeInstanceOf(PluginError);
    return (error as Error).message;
  }
  return "";
}

describe("createPluginRegistry", () => {
  test("registers, gets and lists sorted by type, with a compiled checker", () => {
    const registry = createPluginRegistry();
    registry.register(good("zeta"), "builtin");
    registry.register(good("alpha"), "/plugins/alpha.ts");
    expect(registry.list().map((p) => p.definition.type)).toEqual(["alpha", "zeta"]);
    const alpha = registry.get("alpha")!;
    expect(alpha.source).toBe("/plugins/alpha.ts");
    expect(alpha.check.Check({ text: "hi" })).toBe(true);
    expect(alpha.check.Check({ text: 1 })).toBe(false);
    expect(registry.get("nope")).toBeUndefined();
  });

  test("a duplicate type is refused and names the first source; the first stays", () => {
    const registry = createPluginRegistry();
    registry.register(good("shout"), "builtin");
    expect(() => registry.register(good("shout", { title: "Other" }), "/p/dup.ts")).toThrow(/already registered by builtin/);
    expect(registry.get("shout")!.definition.title).toBe("Shout");
    expect(registry.list()).toHaveLength(1);
  });

  test("definePlugin output registers as is", () => {
    const registry = createPluginRegistry();
    registry.register(definePlugin({ type: "noop", title: "No-op", description: "Nothing", config: t.Object({}), run: () => null }), "builtin");
    expect(registry.get("noop")).toBeDefined();
  });

  const bad: [string, unknown, RegExp][] = [
    ["not an object", "shout", /must be an object/],
    ["null", null, /must be an object/],
    ["type missing", { ...good(), type: undefined }, /invalid action type/],
    ["type with capitals", good("Shout"), /invalid action type "Shout"/],
    ["type starting with a digit", good("1shout"), /invalid action type/],
    ["type of one character", good("a"), /invalid action type/],
    ["type with a dash", good("sms-notify"), /invalid action type/],
    ["type of 65 characters", good("a".repeat(65)), /invalid action type/],
    ["title missing", good("shout", { title: undefined as unknown as string }), /non-empty title/],
    ["title blank", good("shout", { title: "  " }), /non-empty title/],
    ["description missing", good("shout", { description: undefined as unknown as string }), /non-empty description/],
    ["run missing", good("shout", { run: undefined as unknown as PluginDefinition["run"] }), /run\(ctx, config\)/],
    ["run not a function", good("shout", { run: "x" as unknown as PluginDefinition["run"] }), /run\(ctx, config\)/],
    ["config missing", good("shout", { config: undefined as unknown as PluginDefinition["config"] }), /TypeBox object schema/],
    ["config a plain JSON schema", good("shout", { config: { type: "object", properties: {} } as unknown as PluginDefinition["config"] }), /TypeBox object schema/],
    ["config a TypeBox string", good("shout", { config: t.String() }), /TypeBox object schema/],
    ["config a TypeBox array", good("shout", { config: t.Array(t.String()) }), /TypeBox object schema/],
    ["config with a plain JSON property", good("shout", { config: t.Object({ x: { type: "string" } as never }) }), /TypeBox object schema/],
    ["config with an unknown format", good("shout", { config: t.Object({ at: t.String({ format: "no-such-format" }) }) }), /unknown string format "no-such-format"/],
  ];
  for (const [name, def, message] of bad) {
    test(`refused: ${name}`, () => {
      expect(registerError(def)).toMatch(message);
    });
  }

  test("standard formats (uri, email, date-time) are known without the HTTP layer", () => {
    const registry = createPluginRegistry();
    registry.register(good("fmt", { config: t.Object({ u: t.String({ format: "uri" }), e: t.String({ format: "email" }), d: t.String({ format: "date-time" }) }) }), "builtin");
    const check = registry.get("fmt")!.check;
    expect(check.Check({ u: "https://example.com/x", e: "a@example.com", d: "2025-01-02T03:04:05Z" })).toBe(true);
    expect(check.Check({ u: "not a uri", e: "a@example.com", d: "2025-01-02T03:04:05Z" })).toBe(false);
  });
});
