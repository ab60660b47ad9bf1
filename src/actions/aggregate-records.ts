/**
 * @module actions/aggregate-records
 * `aggregate_records {collection, function, field?, filter?, group_by?}`: count, sum, avg, min
 * or max over the matching records; a number (or null), or `[{group, value}]` with `group_by`.
 * sum/avg/min/max take only JSON numbers: missing, null and text values are skipped.
 */
import { ActionError, definePlugin, t } from "../plugin-api";
import { CollectionName, FilterSource } from "./record-fields";

export const aggregateRecords = definePlugin({
  type: "aggregate_records",
  title: "Aggregate records",
  description: "count, sum, avg, min or max over the records a filter matches, optionally per group",
  config: t.Object(
    {
      collection: CollectionName,
      function: t.Union([t.Literal("count"), t.Literal("sum"), t.Literal("avg"), t.Literal("min"), t.Literal("max")]),
      field: t.Optional(t.String({ maxLength: 63 })),
      filter: t.Optional(FilterSource),
      group_by: t.Optional(t.String({ maxLength: 63 })),
    },
    { additionalProperties: false },
  ),
  filters: ["filter"],
  run: (ctx, config) => {
    if (config.function !== "count" && !config.field) throw new ActionError("VALIDATION_ERROR", `${config.function} needs a field`);
    return ctx.records.aggregate(config.collection, { function: config.function, field: config.field, filter: config.filter, groupBy: config.group_by });
  },
});
