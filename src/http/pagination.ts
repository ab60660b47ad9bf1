/**
 * @module http/pagination
 * `page` + `limit` lists: the query schema, the offset it means, and the meta it answers with.
 */
import { t } from "elysia";

export const PageQuery = t.Object({
  page: t.Optional(t.Integer({ minimum: 1, maximum: 1_000_000, default: 1 })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 1000, default: 50 })),
});

export interface Page {
  page: number;
  limit: number;
  offset: number;
}

export function pageOf(query: { page?: number; limit?: number }): Page {
  const page = query.page ?? 1;
  const limit = query.limit ?? 50;
  return { page, limit, offset: (page - 1) * limit };
}

export const pageMeta = (page: Page, total: number) => ({ page: page.page, limit: page.limit, total });
