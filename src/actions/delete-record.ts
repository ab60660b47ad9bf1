/**
 * @module actions/delete-record
 * `delete_record {collection, id | filter, allow_many?}`: deletes one record or every match of a
 * filter; the result is `{deleted}`.
 */
import { definePlugin, t } from "../plugin-api";
import { CollectionName, FilterSource, targetOf } from "./record-fields";

export const deleteRecord = definePlugin({
  type: "delete_record",
  title: "Delete records",
  description: "Deletes one record (by id) or every record a filter matches",
  config: t.Object(
    {
      collection: CollectionName,
      id: t.Optional(t.String({ maxLength: 100 })),
      filter: t.Optional(FilterSource),
      allow_many: t.Optional(t.Boolean({ description: "Allow a filter to touch more records than the instance limit" })),
    },
    { additionalProperties: false },
  ),
  filters: ["filter"],
  run: (ctx, config) => ctx.records.delete(config.collection, targetOf(config), { allowMany: config.allow_many }),
});
