/**
 * @module actions/record-fields
 * Config pieces the record actions share.
 */
import { ActionError, t, type RecordTarget } from "../plugin-api";

export const CollectionName = t.String({ minLength: 1, maxLength: 63, description: "The collection's name" });

export const FilterSource = t.String({
  maxLength: 4096,
  description: "An expression such as `customer_id = '{{request.params.customer_id}}'`; templates fill values only",
});

export const RecordData = t.Record(t.String(), t.Unknown(), { description: "Fields to write; templates are rendered" });

/** `{id}` or `{filter}`: exactly one of them, as the config of update_record and delete_record says. */
export function targetOf(config: { id?: string; filter?: string }): RecordTarget {
  const hasId = typeof config.id === "string" && config.id !== "";
  const hasFilter = typeof config.filter === "string" && config.filter.trim() !== "";
  if (hasId === hasFilter) throw new ActionError("VALIDATION_ERROR", "Give exactly one of `id` or `filter`");
  return hasId ? { id: config.id! } : { filter: config.filter! };
}
