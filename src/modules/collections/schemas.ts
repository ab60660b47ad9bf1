/**
 * @module modules/collections/schemas
 * TypeBox models of the collections and records API (DESIGN.md, Collections and records).
 */
import { t } from "elysia";
import { FIELD_TYPES } from "./definition";

const FieldSchema = t.Object(
  {
    name: t.String({ pattern: "^[A-Za-z_][A-Za-z0-9_]{0,62}$", description: "Not id, created_at or updated_at" }),
    type: t.Union(FIELD_TYPES.map((type) => t.Literal(type))),
    required: t.Optional(t.Boolean({ description: "Present and not null on every write" })),
    unique: t.Optional(t.Boolean({ description: "No two records share a value (a unique index)" })),
  },
  { additionalProperties: false },
);

const IndexSchema = t.Object(
  {
    fields: t.Array(t.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 8, description: "Field paths, e.g. customer_id or address.city" }),
    unique: t.Optional(t.Boolean()),
  },
  { additionalProperties: false },
);

const definition = {
  name: t.String({ pattern: "^[a-z][a-z0-9_]{0,62}$" }),
  fields: t.Optional(t.Array(FieldSchema, { maxItems: 100, description: "Typed fields; none means schemaless (any JSON object)" })),
  indexes: t.Optional(t.Array(IndexSchema, { maxItems: 20 })),
};

export const CollectionCreate = t.Object(definition, { additionalProperties: false });
export const CollectionUpdate = t.Partial(t.Object(definition), {
  additionalProperties: false,
  minProperties: 1,
  description: "fields and indexes replace the whole list",
});

export const CollectionView = t.Object({
  id: t.String(),
  name: t.String(),
  fields: t.Array(t.Object({ name: t.String(), type: t.String(), required: t.Boolean(), unique: t.Boolean() })),
  indexes: t.Array(t.Object({ fields: t.Array(t.String()), unique: t.Boolean() })),
  created_at: t.String({ format: "date-time" }),
  updated_at: t.String({ format: "date-time" }),
});

export const NameParams = t.Object({ name: t.String({ maxLength: 63 }) });
export const RecordParams = t.Object({ name: t.String({ maxLength: 63 }), id: t.String({ maxLength: 64 }) });
export const ForceQuery = t.Object({
  force: t.Optional(t.Boolean({ description: "Go ahead even though endpoints use the collection" })),
});

export const RecordData = t.Record(t.String(), t.Unknown(), { description: "The record's fields; id, created_at and updated_at are set by the server" });
export const RecordView = t.Record(t.String(), t.Unknown(), { description: "{id, created_at, updated_at, ...fields}" });

export const RecordListQuery = t.Object({
  filter: t.Optional(t.String({ maxLength: 4096, description: "Expression, e.g. status = 'open' and total >= 100" })),
  sort: t.Optional(t.String({ maxLength: 1000, description: "Comma list, - for descending, e.g. -created_at,name (default created_at)" })),
  fields: t.Optional(t.String({ maxLength: 2000, description: "Comma list of top-level fields to return" })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  offset: t.Optional(t.Integer({ minimum: 0, maximum: 100_000_000 })),
  page: t.Optional(t.Integer({ minimum: 1, maximum: 1_000_000, description: "Alternative to offset: offset = (page - 1) * limit" })),
  cursor: t.Optional(
    t.String({ maxLength: 400, description: "next_cursor of the previous page; empty for the first page of a cursor listing" }),
  ),
});

export const AggregateQuery = t.Object({
  function: t.Union([t.Literal("count"), t.Literal("sum"), t.Literal("avg"), t.Literal("min"), t.Literal("max")]),
  field: t.Optional(t.String({ maxLength: 200 })),
  filter: t.Optional(t.String({ maxLength: 4096 })),
  group_by: t.Optional(t.String({ maxLength: 200 })),
});

export const AggregateValue = t.Union([
  t.Number(),
  t.Null(),
  t.Array(t.Object({ group: t.Unknown(), value: t.Union([t.Number(), t.Null()]) })),
]);
