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

/** What every module may be given: the process config, the database and the logger. */
export interface AppDeps {
  config: Config;
  db: Database;
  logger: Logger;
}

export function createApp(deps: AppDeps) {
  return new Elysia({ name: "switchboard" })
    .use(httpCore({ logger: deps.logger, bodyLimitBytes: deps.config.bodyLimitBytes }))
    .use(openapi())
    .use(healthRoutes(deps.db));
}

export type App = ReturnType<typeof createApp>;
