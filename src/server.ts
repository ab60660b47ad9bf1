/**
 * @module server
 * Runs the instance: data dir, database, migrations, app, listener; and stops it gracefully
 * (stop accepting, let in-flight requests finish within a bound, close the database).
 */
import { join } from "node:path";
import { createApp } from "./app";
import { prepareDataDir, type Config } from "./config";
import { migrate } from "./db/migrate";
import { DATABASE_FILE, openDatabase, type Database } from "./db/open";
import type { Logger } from "./log";
import { loadSecretKey } from "./secret-key";

export interface RunningServer {
  url: string;
  port: number;
  db: Database;
  /** Stops accepting, waits for in-flight requests (up to the shutdown timeout), closes the database. */
  stop(): Promise<void>;
}

/** Bun refuses bodies past this on its own; our limit answers first with a proper envelope. */
const BODY_SLACK_BYTES = 1024 * 1024;

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

export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const db = openDataDir(config, logger);
  loadSecretKey(config.dataDir, config.secretKey);
  const app = createApp({ config, db, logger });
  app.listen({
    hostname: config.host,
    port: config.port,
    maxRequestBodySize: config.bodyLimitBytes + BODY_SLACK_BYTES,
  });
  const server = app.server!;
  const host = server.hostname?.includes(":") ? `[${server.hostname}]` : server.hostname;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${host}:${server.port}`,
    port: server.port!,
    db,
    stop() {
      stopping ??= (async () => {
        const graceful = server.stop(false);
        const timedOut = await Promise.race([
          graceful.then(() => false),
          Bun.sleep(config.shutdownTimeoutMs).then(() => true),
        ]);
        if (timedOut) {
          logger.warn("shutdown timeout reached, closing open connections", { timeout_ms: config.shutdownTimeoutMs });
          await server.stop(true);
        }
        db.close();
      })();
      return stopping;
    },
  };
}
