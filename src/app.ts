/**
 * @module app
 * Builds the Elysia app from its parts without listening, so tests drive it in-process with
 * `app.handle(request)` and `server.ts` serves the very same thing.
 */
import { Elysia } from "elysia";
import type { Config } from "./config";
import type { Database } from "./db/open";
import type { Logger } from "./log";
import { httpCore } from "./http/core";
import { healthRoutes } from "./http/health";
import { openapi } from "./http/openapi";
import { accountsRoutes } from "./modules/accounts/routes";
import { usersRoutes } from "./modules/accounts/users-routes";
import { authRoutes } from "./modules/auth/routes";
import { keysRoutes } from "./modules/keys/routes";
import { createServices, type Services } from "./services";
import { dispatchNativeRoutes, dispatchRoutes, DISPATCH_PREFIX } from "./modules/endpoints/dispatch-routes";
import { endpointsRoutes } from "./modules/endpoints/routes";
import { executionsRoutes } from "./modules/executions/routes";
import { pluginsRoutes } from "./modules/plugins/routes";
import { collectionsRoutes } from "./modules/collections/routes";

/** What every module may be given: the process config, the database and the logger. */
export interface AppDeps {
  config: Config;
  db: Database;
  logger: Logger;
}

/** The app; pass `services` to share them with a test, otherwise they are built here. */
export function createApp(deps: AppDeps, services: Services = createServices(deps)) {
  const { accounts, users, keys, auth, access, clientIps, endpoints, registry, executionsStore, dispatch, collections, records } = services;
  // normalize: false makes `additionalProperties: false` a 400 instead of silently dropping
  // unknown fields: a typo such as "auth_requred" must not go unnoticed.
  return new Elysia({
    name: "switchboard",
    normalize: false,
    // Served by Bun's router when listening; see dispatchNativeRoutes.
    serve: { routes: dispatchNativeRoutes(dispatch, deps.logger, deps.config.bodyLimitBytes) },
  })
    .use(httpCore({ logger: deps.logger, bodyLimitBytes: deps.config.bodyLimitBytes, rawBodyPrefixes: [DISPATCH_PREFIX] }))
    .use(openapi())
    .use(healthRoutes(deps.db))
    .use(authRoutes({ auth, access, users, accounts, clientIps }))
    .use(accountsRoutes(accounts, access, clientIps))
    .use(usersRoutes(users, access, clientIps))
    .use(keysRoutes(keys, accounts, access, clientIps))
    .use(endpointsRoutes(endpoints, access, clientIps))
    .use(executionsRoutes({ store: executionsStore, access, clientIps, endpointExists: endpoints.exists }))
    .use(pluginsRoutes(registry, access, clientIps))
    .use(collectionsRoutes({ collections, records, access, clientIps }))
    .use(dispatchRoutes(dispatch, endpoints, accounts, access, clientIps))
    .onStop(() => services.close());
}

export type App = ReturnType<typeof createApp>;
