import { describe, expect, test } from "bun:test";
import { checkLayout, importsOf, violationsFor } from "../scripts/check-layout";

describe("layout rules of DESIGN.md", () => {
  test("the tree has no violations", () => {
    expect(checkLayout()).toEqual([]);
  });

  test("import extraction sees static, re-export, side-effect and dynamic imports", () => {
    const source = `import a from "./a";\nimport { b } from '../b';\nexport * from "./c";\nimport "./d";\nconst e = await import("./e");\nimport type { F } from "./f";`;
    expect(importsOf(source)).toEqual(["./a", "../b", "./c", "./d", "./e", "./f"]);
  });

  // Each rule must be able to fail, or the test above proves nothing.
  const cases: [string, string, string, RegExp | null][] = [
    ["pure expr importing http", "src/expr/parse.ts", `import { AppError } from "../http/errors";`, /pure module/],
    ["pure templates importing expr", "src/templates/render.ts", `import { parse } from "../expr";`, /pure module/],
    ["expr importing itself and npm", "src/expr/eval.ts", `import { x } from "./ast";\nimport ip from "ipaddr.js";`, null],
    ["action importing a module", "src/actions/transform.ts", `import { x } from "../modules/keys/service";`, /only the plugin API/],
    ["action importing the plugin api", "src/actions/transform.ts", `import { definePlugin } from "../plugin-api";`, null],
    ["plugin importing npm", "plugins/sms.ts", `import axios from "axios";`, /only the plugin API/],
    ["plugin importing the virtual module", "plugins/sms.ts", `import { definePlugin, t } from "switchboard/plugin";`, null],
    ["engine importing a module", "src/engine/run.ts", `import { x } from "../modules/endpoints/service";`, /engine must not/],
    ["SQL in a service", "src/modules/keys/service.ts", `const q = "SELECT * FROM api_keys WHERE id = ?";`, /SQL statement/],
    ["bun:sqlite in a route", "src/modules/keys/routes.ts", `import { Database } from "bun:sqlite";`, /outside a store/],
    ["prepare in a service", "src/modules/keys/service.ts", `db.sqlite.prepare(q)`, /prepares a statement/],
    ["SQL in a store", "src/modules/keys/store.ts", `import { Database } from "bun:sqlite";\nconst q = "SELECT id FROM api_keys";`, null],
    ["another domain's store", "src/modules/keys/service.ts", `import { findUser } from "../accounts/store";`, /another domain's store/],
    ["own store", "src/modules/keys/service.ts", `import { findKey } from "./store";`, null],
    ["the composition root wiring stores", "src/services.ts", `import { createKeysStore } from "./modules/keys/store";`, null],
    ["a method merely named prepare", "src/expr/functions.ts", `fn.prepare(args)`, null],
  ];
  for (const [name, file, source, expected] of cases) {
    test(`${name} -> ${expected ? "violation" : "allowed"}`, () => {
      const problems = violationsFor(file, source);
      if (expected) {
        expect(problems.length).toBeGreaterThan(0);
        expect(problems.join("\n")).toMatch(expected);
      } else {
        expect(problems).toEqual([]);
      }
    });
  }
});
