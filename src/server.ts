/**
 * @module server
 * Runs the instance: data dir, database, migrations, app, listener; and stops it gracefully
 * (stop accepting, let in-flight requests finish within a bound, close the database).
 */
import { join } from "node:path";
import type { AnyElysia } from "elysia";
import { createApp, type AppDeps } from "./app";
import { ConfigError, prepareDataDir, type Config } from "./config";
import { migrate } from "./db/migrate";
import { DATABASE_FILE, openDatabase, type Database } from "./db/open";
import type { Logger } from "./log";
import { bootstrap } from "./modules/accounts/bootstrap";
import { loadSecretKey } from "./secret-key";
import { createServices } from "./services";
import { loadPlugins } from "./modules/plugins/loader";
import { registerPluginModule } from "./modules/plugins/virtual-module";

export interface RunningServer {
  url: string;
  port: number;
  db: Database;
  /** Stops accepting, waits for in-flight requests (up to the shutdown timeout), closes the database. */
  stop(): Promise<void>;
}

/**
 * Bun refuses bodies past its own limit with a bare 413. Ours is checked first (declared length in
 * onRequest, streamed length while parsing) and answers in the envelope, so Bun's stays far above.
 */
const TRANSPORT_BODY_LIMIT = 1024 ** 3;

/** Opens the data dir's database and applies pending migrations. */
export function openDataDir(config: Config, logger: Logger): Database {
  prepareDataDir(config.dataDir);
  const db = openDatabase(join(config.dataDir, DATABASE_FILE), { synchronous: config.dbSynchronous });
  try {
    const applied = migrate(db.sqlite);
    if (applied.length > 0) logger.info("migrations applied", { migrations: applied });
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/** Opens the data dir, builds the app and listens: what `switchboard serve` runs. */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const db = openDataDir(config, logger);
  try {
    loadSecretKey(config.dataDir, config.secretKey);
    const deps = { config, db, logger };
    const services = createServices(deps);
    registerPluginModule();
    await loadPlugins(services.registry, config.pluginDirs, logger);
    services.start();
    await bootstrap({ ...services, logger, adminEmail: config.adminEmail, adminPassword: config.adminPassword });
    return listen(createApp(deps, services), deps);
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Serves a built app on the configured host and port; `stop()` drains, then closes the database. */
export function listen(app: AnyElysia, { config, db, logger }: AppDeps): RunningServer {
  try {
    app.listen({
      hostname: config.host,
      port: config.port,
      maxRequestBodySize: Math.max(TRANSPORT_BODY_LIMIT, config.bodyLimitBytes),
      // The framework turns Bun's development mode on unless NODE_ENV=production; in it, an error
      // that escaped every handler would be answered with Bun's error page, stack trace included.
      development: false,
      // The framework asks for SO_REUSEPORT unless told otherwise: a second instance started on
      // the same port would then listen too and silently take half of the connections.
      reusePort: false,
    });
  } catch (error) {
    throw listenError(error, config);
  }
  const server = app.server!;
  const host = server.hostname?.includes(":") ? `[${server.hostname}]` : server.hostname;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${host}:${server.port}`,
    port: server.port!,
    db,
    stop() {
      stopping ??= (async () => {
        const graceful = app.stop(false);
        const timedOut = await Promise.race([
          graceful.then(() => false),
          Bun.sleep(config.shutdownTimeoutMs).then(() => true),
        ]);
        if (timedOut) {
          logger.warn("shutdown timeout reached, closing open connections", { timeout_ms: config.shutdownTimeoutMs });
          await server.stop(true);
          await graceful.catch(() => {});
        }
        db.close();
      })();
      return stopping;
    },
  };
}

/** A port taken or not allowed is the operator's to fix: one line naming it, not a stack trace. */
function listenError(error: unknown, { host, port }: Config): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "EADDRINUSE") return new ConfigError(`port ${port} on ${host} is already in use (another Switchboard or another program listens there); stop it or choose another --port`);
  if (code === "EACCES") return new ConfigError(`not allowed to listen on port ${port} on ${host} (ports below 1024 need privileges); choose another --port`);
  return error;
}
