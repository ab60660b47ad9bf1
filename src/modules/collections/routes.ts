/**
 * @module modules/collections/routes
 * /api/v1/collections: define collections (owners and admins) and work with their records
 * (any role; the `manage` scope). Filters sent here are never templates: `{{` is plain text.
 */
import { Elysia, t } from "elysia";
import type { ClientIpResolver } from "../../http/client-ip";
import { Envelope, ok } from "../../http/envelope";
import { badRequest } from "../../http/errors";
import { PageQuery, pageMeta, pageOf } from "../../http/pagination";
import type { Access } from "../auth/access";
import { BEARER, authGuard } from "../auth/guard";
import type { Identity } from "../auth/identity";
import type { FilterInput, RecordsService } from "./records-service";
import {
  AggregateQuery,
  AggregateValue,
  CollectionCreate,
  CollectionUpdate,
  CollectionView,
  ForceQuery,
  NameParams,
  RecordData,
  RecordListQuery,
  RecordParams,
  RecordView,
} from "./schemas";
import type { CollectionsService } from "./service";

export interface CollectionsRoutesDeps {
  collections: CollectionsService;
  records: RecordsService;
  access: Access;
  clientIps: ClientIpResolver;
}

const collectionDetail = (summary: string) => ({ tags: ["collections"], security: BEARER, summary });
const recordDetail = (summary: string) => ({ tags: ["records"], security: BEARER, summary });

const filterOf = (identity: Identity, source: string | undefined): FilterInput | undefined =>
  source === undefined || source.trim() === "" ? undefined : { source, ctx: { auth: identity.principal } };

export function collectionsRoutes({ collections, records, access, clientIps }: CollectionsRoutesDeps) {
  return new Elysia({ name: "routes.collections", prefix: "/api/v1/collections" })
    .use(authGuard(access, clientIps))
    .post(
      "",
      ({ identity, body, set }) => {
        const created = collections.create(identity, body);
        set.status = 201;
        return ok(created);
      },
      { auth: "manage", body: CollectionCreate, response: { 201: Envelope(CollectionView) }, detail: collectionDetail("Create a collection") },
    )
    .get(
      "",
      ({ identity, query }) => {
        const page = pageOf(query);
        const { rows, total } = collections.list(identity, { limit: page.limit, offset: page.offset });
        return ok(rows, pageMeta(page, total));
      },
      { auth: "manage", query: PageQuery, response: { 200: Envelope(t.Array(CollectionView)) }, detail: collectionDetail("List collections") },
    )
    .get("/:name", ({ identity, params }) => ok(collections.get(identity, params.name)), {
      auth: "manage",
      params: NameParams,
      response: { 200: Envelope(CollectionView) },
      detail: collectionDetail("One collection"),
    })
    .patch("/:name", ({ identity, params, body, query }) => ok(collections.update(identity, params.name, body, { force: query.force })), {
      auth: "manage",
      params: NameParams,
      query: ForceQuery,
      body: CollectionUpdate,
      response: { 200: Envelope(CollectionView) },
      detail: collectionDetail("Change name, fields or indexes; records are kept and checked when next written"),
    })
    .delete("/:name", ({ identity, params, query }) => ok(collections.remove(identity, params.name, { force: query.force })), {
      auth: "manage",
      params: NameParams,
      query: ForceQuery,
      response: { 200: Envelope(CollectionView) },
      detail: collectionDetail("Drop a collection and its records (refused while endpoints use it, unless force=true)"),
    })
    .get(
      "/:name/records",
      ({ identity, params, query }) => {
        const limit = query.limit ?? 50;
        if (query.page !== undefined && query.offset !== undefined) throw badRequest("Use either page or offset, not both", { field: "page" });
        const offset = query.page !== undefined ? (query.page - 1) * limit : query.offset;
        const fields = query.fields === undefined ? undefined : query.fields.split(",").map((f) => f.trim()).filter(Boolean);
        const { records: rows, meta } = records.list(identity.principal.account_id, params.name, {
          filter: filterOf(identity, query.filter),
          sort: query.sort,
          limit,
          offset,
          cursor: query.cursor,
          fields,
        });
        return ok(rows, query.page !== undefined ? { page: query.page, ...meta } : meta);
      },
      {
        auth: "manage",
        params: NameParams,
        query: RecordListQuery,
        response: { 200: Envelope(t.Array(RecordView)) },
        detail: recordDetail("List records: filter, sort, offset/page or cursor pages, fields"),
      },
    )
    .post(
      "/:name/records",
      ({ identity, params, body, set }) => {
        const created = records.create(identity.principal.account_id, params.name, body);
        set.status = 201;
        return ok(created);
      },
      { auth: "manage", params: NameParams, body: RecordData, response: { 201: Envelope(RecordView) }, detail: recordDetail("Create a record") },
    )
    .get(
      "/:name/aggregate",
      ({ identity, params, query }) =>
        ok(
          records.aggregate(identity.principal.account_id, params.name, {
            function: query.function,
            field: query.field,
            group_by: query.group_by,
            filter: filterOf(identity, query.filter),
          }),
        ),
      {
        auth: "manage",
        params: NameParams,
        query: AggregateQuery,
        response: { 200: Envelope(AggregateValue) },
        detail: recordDetail("count, sum, avg, min or max over matching records, optionally per group"),
      },
    )
    .get("/:name/records/:id", ({ identity, params }) => ok(records.get(identity.principal.account_id, params.name, params.id)), {
      auth: "manage",
      params: RecordParams,
      response: { 200: Envelope(RecordView) },
      detail: recordDetail("One record"),
    })
    .patch(
      "/:name/records/:id",
      ({ identity, params, body }) => ok(records.update(identity.principal.account_id, params.name, params.id, body)),
      {
        auth: "manage",
        params: RecordParams,
        body: RecordData,
        response: { 200: Envelope(RecordView) },
        detail: recordDetail("Change top-level fields (null removes one)"),
      },
    )
    .delete("/:name/records/:id", ({ identity, params }) => ok(records.remove(identity.principal.account_id, params.name, params.id)), {
      auth: "manage",
      params: RecordParams,
      response: { 200: Envelope(RecordView) },
      detail: recordDetail("Delete a record; answers the deleted record"),
    });
}
