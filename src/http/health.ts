/**
 * @module http/health
 * `GET /healthz`: 200 `{"status":"ok"}` when the database answers, 503 otherwise, so a load
 * balancer or container runtime can tell a live instance from a stuck one.
 */
import { Elysia, t } from "elysia";
import type { Database } from "../db/open";

export function healthRoutes(db: Database) {
  return new Elysia({ name: "routes.health" }).get(
    "/healthz",
    ({ set }) => {
      if (db.ping()) return { status: "ok" };
      set.status = 503;
      return { status: "unavailable" };
    },
    {
      detail: { tags: ["system"], summary: "Liveness and database check" },
      response: { 200: t.Object({ status: t.String() }), 503: t.Object({ status: t.String() }) },
    },
  );
}
