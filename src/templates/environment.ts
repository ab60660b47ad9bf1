/**
 * @module templates/environment
 * The isolated Handlebars environment and the compiler for text leaves.
 * Compilation is eager (Handlebars' own `compile` defers to first use, which
 * would surface syntax errors at render time). Before compiling, every output
 * mustache is routed through the `__text` helper, so objects print as JSON;
 * only known helpers are allowed, partials and decorators are refused.
 */

import Handlebars from "handlebars";
import { TemplateError } from "./errors.ts";
import { HELPERS, NOW_FORMATS, toText } from "./helpers.ts";
import { rewriteIndexes } from "./paths.ts";

type Node = hbs.AST.Node;
type Program = hbs.AST.Program;

const TEXT_HELPER = "__text";
const BUILTIN_HELPERS = ["if", "unless", "each", "with", "lookup"];
const env = Handlebars.create();
for (const [name, fn] of Object.entries(HELPERS)) env.registerHelper(name, fn);
env.registerHelper(TEXT_HELPER, (value: unknown) => toText(value));

const KNOWN = new Set([...Object.keys(HELPERS), ...BUILTIN_HELPERS]);
const COMPILE_OPTIONS = {
  noEscape: true, // JSON/text output: HTML escaping would corrupt values
  strict: false, // missing values render as "" rather than throwing
  knownHelpersOnly: true, // an unknown helper is a compile error, not a render-time "Missing helper"
  knownHelpers: Object.fromEntries([...KNOWN, TEXT_HELPER].map((n) => [n, true])),
  data: true,
  compat: false,
  preventIndent: true,
};
/** Passed on every render: explicit `false` blocks prototype access without Handlebars' console warning. */
const RUNTIME_OPTIONS = { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false };

// The compiler classes exist at run time but are not in Handlebars' type declarations.
const internals = env as unknown as {
  Compiler: new () => { compile(ast: Program, options: object): unknown };
  JavaScriptCompiler: new () => { compile(environment: unknown, options: object, context: undefined, asObject: true): object };
  template(spec: object): (data: unknown, options: object) => string;
};

/** Compiles a text template (one string leaf). @throws TemplateError naming what is wrong. */
export function compileText(source: string): (data: unknown) => string {
  let ast: Program;
  try {
    ast = env.parse(rewriteIndexes(source));
  } catch (err) {
    throw new TemplateError(firstLine(err));
  }
  routeOutput(ast);
  let template: (data: unknown, options: object) => string;
  try {
    const environment = new internals.Compiler().compile(ast, { ...COMPILE_OPTIONS });
    template = internals.template(new internals.JavaScriptCompiler().compile(environment, { ...COMPILE_OPTIONS }, undefined, true));
    // A dry run catches data-independent runtime errors (e.g. `{{#each}}` without an argument) now, not per request.
    template({}, RUNTIME_OPTIONS);
  } catch (err) {
    throw new TemplateError(firstLine(err).replace("You specified knownHelpersOnly, but used the unknown helper", "unknown helper"));
  }
  return (data) => template(data, RUNTIME_OPTIONS);
}

/** Handlebars messages span lines (source excerpt, caret); keep the first and the last. */
function firstLine(err: unknown): string {
  const lines = String((err as Error)?.message ?? err).split("\n").filter((l) => l.trim() !== "");
  return lines.length > 1 ? `${lines[0]} ${lines[lines.length - 1]}` : (lines[0] ?? "invalid template");
}

/** Walks the tree: wraps output mustaches in `__text`, checks helpers, refuses partials and decorators. */
function routeOutput(node: Node | undefined): void {
  if (!node) return;
  switch (node.type) {
    case "Program":
      for (const child of (node as Program).body) routeOutput(child);
      return;
    case "BlockStatement": {
      const block = node as hbs.AST.BlockStatement;
      checkCall(block.path, block.params);
      routeOutput(block.program);
      routeOutput(block.inverse);
      return;
    }
    case "MustacheStatement":
      wrapMustache(node as hbs.AST.MustacheStatement);
      return;
    case "PartialStatement":
    case "PartialBlockStatement":
      throw new TemplateError("partials are not supported");
    case "DecoratorBlock":
    case "Decorator":
      throw new TemplateError("decorators are not supported");
  }
}

function wrapMustache(m: hbs.AST.MustacheStatement): void {
  const path = m.path as hbs.AST.PathExpression;
  const isHelper = path.type === "PathExpression" && !path.data && path.parts.length === 1 && KNOWN.has(path.parts[0]);
  let value: hbs.AST.Expression;
  if (m.params.length > 0 || m.hash || isHelper) {
    checkCall(m.path, m.params);
    value = { type: "SubExpression", path: m.path, params: m.params, hash: m.hash, loc: m.loc } as hbs.AST.SubExpression;
  } else {
    value = m.path;
  }
  m.path = { type: "PathExpression", data: false, depth: 0, parts: [TEXT_HELPER], original: TEXT_HELPER, loc: m.loc } as hbs.AST.PathExpression;
  m.params = [value];
  m.hash = undefined as unknown as hbs.AST.Hash;
}

/** Checks a helper call's name and, for `now`, a literal format. */
function checkCall(path: hbs.AST.Expression, params: hbs.AST.Expression[]): void {
  const name = path.type === "PathExpression" ? (path as hbs.AST.PathExpression).original : "";
  if (name === TEXT_HELPER) throw new TemplateError(`unknown helper ${name}`);
  if (name === "now" && params[0]?.type === "StringLiteral") {
    const format = (params[0] as hbs.AST.StringLiteral).value;
    if (!(NOW_FORMATS as readonly string[]).includes(format)) {
      throw new TemplateError(`unknown format '${format}' for now (use ${NOW_FORMATS.join(", ")})`);
    }
  }
}
