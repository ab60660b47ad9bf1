/**
 * @module modules/collections/testing
 * Fixture for this module's tests: a migrated, bootstrapped test app (real SQLite file) with the
 * collections routes mounted on an app of their own, services built from its database, and the
 * owner's token and identity.
 */
import { AppError } from "../../http/errors";
import { Elysia } from "elysia";
import { ADMIN, createIdentityTestApp, handleJson } from "../../../test/helpers/app";
import { httpCore } from "../../http/core";
import { createRecordsReader } from "./reader-thread";
import { createRecordsService } from "./records-service";
import { collectionsRoutes } from "./routes";
import { createCollectionsService } from "./service";
import { createCollectionsStore } from "./store";

export interface FixtureOptions {
  maxAffected?: number;
  now?: () => number;
  /** `select` reads on a reader thread, as in a saturated server (always, not only when busy). */
  reader?: boolean;
}

export async function createCollectionsFixture(options: FixtureOptions = {}) {
  const testApp = await createIdentityTestApp();
  const store = createCollectionsStore(testApp.db);
  /** Endpoint names per collection name, as the endpoints module would report them. */
  const usedBy = new Map<string, string[]>();
  const collections = createCollectionsService({ store, inUse: (_accountId, name) => usedBy.get(name) ?? [] });
  const reader = options.reader ? createRecordsReader(testApp.db.path, testApp.logger, { busy: () => true }) : undefined;
  const records = createRecordsService({ store, collections, maxAffected: options.maxAffected, now: options.now, reader });
  const { access, clientIps } = testApp.services;
  // An app of its own (as app.ts builds it: normalize off, the core plugin first), so these
  // services are the ones answering even once app.ts mounts the module itself.
  const app = new Elysia({ normalize: false })
    .use(httpCore({ logger: testApp.logger, bodyLimitBytes: testApp.config.bodyLimitBytes }))
    .use(collectionsRoutes({ collections, records, access, clientIps }));
  const token = await testApp.login(ADMIN.email, ADMIN.password);
  const owner = access.authenticate(`Bearer ${token}`);
  const accountId = owner.principal.account_id;

  const request = (method: string, path: string, init: { token?: string; body?: unknown; rawBody?: string } = {}) => handleJson(app, method, path, init);

  /** As the owner. */
  const api = (method: string, path: string, body?: unknown) => request(method, path, { token, body });

  /** A member (no admin role) of the owner's account; returns their token. */
  async function addMember(email: string): Promise<string> {
    const res = await testApp.request("POST", "/api/v1/users", { token, body: { email, password: "member password 123", roles: ["member"] } });
    if (res.status !== 201) throw new Error(`member: ${res.status} ${res.text}`);
    return testApp.login(email, "member password 123");
  }

  /** Another account with its own owner; returns the owner's token. */
  async function addAccount(slug: string): Promise<string> {
    const email = `owner@${slug}.example.com`;
    const res = await testApp.request("POST", "/api/v1/accounts", { token, body: { slug, owner: { email, password: "other owner password" } } });
    if (res.status !== 201) throw new Error(`account: ${res.status} ${res.text}`);
    return testApp.login(email, "other owner password");
  }

  return { testApp, app, store, collections, records, usedBy, token, owner, accountId, request, api, addMember, addAccount, close: () => (reader?.close(), testApp.close()) };
}

export type CollectionsFixture = Awaited<ReturnType<typeof createCollectionsFixture>>;

/** The AppError a service call throws (fails the test when it throws nothing or something else). */
export function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected an AppError");
}
