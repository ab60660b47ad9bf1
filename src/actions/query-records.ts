/**
 * @module actions/query-records
 * `query_records {collection, filter?, sort?, limit?, offset?}`: the result is the list of
 * matching records.
 */
import { definePlugin, t } from "../plugin-api";
import { CollectionName, FilterSource } from "./record-fields";

export const queryRecords = definePlugin({
  type: "query_records",
  title: "Query records",
  description: "Lists the records of a collection that match a filter",
  config: t.Object(
    {
      collection: CollectionName,
      filter: t.Optional(FilterSource),
      sort: t.Optional(t.String({ maxLength: 500, description: "e.g. `-created_at,name`" })),
      limit: t.Optional(t.Integer({ minimum: 1, maximum: 1000 })),
      offset: t.Optional(t.Integer({ minimum: 0 })),
    },
    { additionalProperties: false },
  ),
  filters: ["filter"],
  run: (ctx, config) => ctx.records.query(config.collection, { filter: config.filter, sort: config.sort, limit: config.limit, offset: config.offset }),
});
