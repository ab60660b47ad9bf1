/**
 * @module actions/create-record
 * `create_record {collection, data}`: stores one record; the result is the record.
 */
import { definePlugin, t } from "../plugin-api";
import { CollectionName, RecordData } from "./record-fields";

export const createRecord = definePlugin({
  type: "create_record",
  title: "Create record",
  description: "Stores a record in a collection; the result is the record with its id and times",
  config: t.Object({ collection: CollectionName, data: RecordData }, { additionalProperties: false }),
  run: (ctx, config) => ctx.records.create(config.collection, config.data),
});
