/**
 * @module expr/json-path
 * Field resolvers for records stored as a JSON `data` column beside real
 * columns. Names are checked against a strict pattern before they reach SQL,
 * so a JSON path can never carry a quote.
 */

/** Field names a JSON path can be built for: `a`, `a.b`, `items[0].sku`. */
export const JSON_FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[(?:0|[1-9][0-9]{0,8})\])*$/;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `json_extract("column", '$."a"."b"[0]')` for `name`, or null when `name`
 * is not a plain dotted path (so a resolver can answer "unknown field").
 * @throws Error when `column` is not a plain identifier (a programming error).
 */
export function jsonPathField(column: string, name: string): string | null {
  if (!IDENTIFIER.test(column)) throw new Error(`invalid column name '${column}'`);
  if (!JSON_FIELD_NAME.test(name)) return null;
  const path = name.replace(/\.?([A-Za-z_][A-Za-z0-9_]*)/g, '."$1"');
  return `json_extract("${column}", '$${path}')`;
}

/**
 * A resolver for `compileFilter`: names in `columns` map to those columns
 * (e.g. `{id: "id", created_at: "created_at"}`), every other valid name to a
 * path inside `dataColumn`.
 */
export function recordFieldResolver(columns: Readonly<Record<string, string>>, dataColumn = "data"): (name: string) => string | null {
  for (const c of [...Object.values(columns), dataColumn]) {
    if (!IDENTIFIER.test(c)) throw new Error(`invalid column name '${c}'`);
  }
  return (name) => (Object.hasOwn(columns, name) ? `"${columns[name]}"` : jsonPathField(dataColumn, name));
}
