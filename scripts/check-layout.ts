/**
 * The dependency rules of DESIGN.md, as code. `checkLayout()` lists every violation in the tree;
 * test/architecture.test.ts runs it so the layout stays true as the code grows.
 *
 *  - src/expr and src/templates are pure: no import from elsewhere in src/, nor from each other.
 *  - src/actions and plugins/ reach the host only through src/plugin-api.ts (`switchboard/plugin`
 *    for plugins, which have no node_modules beside the binary).
 *  - src/engine depends on neither src/modules nor src/http nor src/db.
 *  - SQL lives in store.ts files (and src/db, which opens and migrates): nowhere else imports
 *    bun:sqlite or drizzle-orm, calls .prepare(), or holds a SQL statement; a store is imported
 *    only from its own folder.
 */
import { Glob } from "bun";
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = join(import.meta.dir, "..");

const IMPORT = /(?:^|[^\w.])(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|(?:^|[^\w.])import\s*\(?\s*["']([^"']+)["']/g;
const SQL_STATEMENT = /["'`][^"'`]*\b(SELECT\s+[\w*(]|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(?:TABLE|INDEX|UNIQUE)|DROP\s+(?:TABLE|INDEX)|ALTER\s+TABLE|PRAGMA\s+\w)/;

/** Import specifiers of a source file. */
export function importsOf(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(IMPORT)) found.push((match[1] ?? match[2])!);
  return found;
}

const isTest = (file: string) => /\.test\.tsx?$/.test(file) || file.startsWith("test/");
const inDir = (file: string, dir: string) => file === dir || file.startsWith(dir + "/");

/** Violations of one file (path relative to the repo root, with forward slashes). */
export function violationsFor(file: string, source: string): string[] {
  const problems: string[] = [];
  const specifiers = importsOf(source);
  const targets = specifiers.map((spec) =>
    spec.startsWith(".") ? relative(ROOT, resolve(ROOT, dirname(file), spec)).split("\\").join("/") : null,
  );
  const test = isTest(file);

  for (const pure of ["src/expr", "src/templates"]) {
    if (!inDir(file, pure)) continue;
    specifiers.forEach((spec, i) => {
      const target = targets[i];
      if (target !== null && !inDir(target, pure)) problems.push(`${file}: pure module imports ${spec} from outside ${pure}/`);
    });
  }

  const isPlugin = inDir(file, "plugins");
  if ((inDir(file, "src/actions") || isPlugin) && !test) {
    specifiers.forEach((spec, i) => {
      const target = targets[i];
      const allowed =
        spec === "switchboard/plugin" ||
        (!isPlugin && (target === "src/plugin-api" || target === "src/plugin-api.ts" || (target !== null && inDir(target, "src/actions"))));
      if (!allowed) problems.push(`${file}: actions and plugins may import only the plugin API, not ${spec}`);
    });
  }

  if (inDir(file, "src/engine")) {
    specifiers.forEach((spec, i) => {
      const target = targets[i];
      if (target && ["src/modules", "src/http", "src/db"].some((d) => inDir(target, d))) {
        problems.push(`${file}: engine must not depend on ${spec}`);
      }
    });
  }

  const mayHoldSql = inDir(file, "src/db") || /(^|\/)store\.ts$/.test(file) || test || inDir(file, "scripts");
  // The composition root builds every store and hands each to its own service.
  const isCompositionRoot = file === "src/services.ts";
  if (!mayHoldSql) {
    for (const spec of specifiers) {
      if (spec === "bun:sqlite" || spec.startsWith("drizzle-orm")) problems.push(`${file}: imports ${spec} outside a store.ts`);
    }
    if (/\b(?:sqlite|db)\.(?:prepare|query|run|exec)\s*\(/.test(source)) problems.push(`${file}: prepares a statement outside a store.ts`);
    const sql = SQL_STATEMENT.exec(source);
    if (sql) problems.push(`${file}: SQL statement outside a store.ts (${sql[1]!.trim()}...)`);
  }

  targets.forEach((target) => {
    if (target && /(^|\/)store(\.ts)?$/.test(target) && dirname(target) !== dirname(file) && !test && !isCompositionRoot) {
      problems.push(`${file}: imports another domain's store ${target}; go through its service`);
    }
  });
  return problems;
}

/** Every violation in the repository's src/, plugins/ and test/ trees. */
export function checkLayout(root = ROOT): string[] {
  const problems: string[] = [];
  for (const pattern of ["src/**/*.{ts,tsx}", "plugins/**/*.{ts,js}", "test/**/*.ts"]) {
    for (const file of new Glob(pattern).scanSync({ cwd: root })) {
      const path = file.split("\\").join("/");
      problems.push(...violationsFor(path, readFileSync(join(root, path), "utf8")));
    }
  }
  return problems;
}

if (import.meta.main) {
  const problems = checkLayout();
  for (const p of problems) console.error(p);
  console.log(problems.length === 0 ? "layout ok" : `${problems.length} layout violation(s)`);
  process.exit(problems.length === 0 ? 0 : 1);
}
