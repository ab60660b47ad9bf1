/**
 * @module actions/update-record
 * `update_record {collection, id | filter, data, allow_many?}`: merges `data` into one record (by
 * id; the result is the record) or into every match of a filter (the result is `{updated,
 * records}`; more matches than the instance limit are refused unless `allow_many`).
 */
import { definePlugin, t } from "../plugin-api";
import { CollectionName, FilterSource, RecordData, targetOf } from "./record-fields";

export const updateRecord = definePlugin({
  type: "update_record",
  title: "Update records",
  description: "Changes fields of one record (by id) or of every record a filter matches",
  config: t.Object(
    {
      collection: CollectionName,
      id: t.Optional(t.String({ maxLength: 100 })),
      filter: t.Optional(FilterSource),
      data: RecordData,
      allow_many: t.Optional(t.Boolean({ description: "Allow a filter to touch more records than the instance limit" })),
    },
    { additionalProperties: false },
  ),
  filters: ["filter"],
  run: (ctx, config) => ctx.records.update(config.collection, targetOf(config), config.data, { allowMany: config.allow_many }),
});
