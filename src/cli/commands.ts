/**
 * @module cli/commands
 * The command table of `switchboard`. Each command gets its argv (after the command name) and
 * the environment, and returns an exit code; a ConfigError is printed by main as one line.
 */
import { loadConfig, parseConfigFlags, type Env } from "../config";
import { appliedMigrations } from "../db/migrate";
import { createLogger } from "../log";
import { openDataDir, startServer } from "../server";
import { VERSION } from "../version";
import { applyCommand, exportCommand } from "./endpoint-commands";
import { adminCommand, keysCommand } from "./identity-commands";

export interface Command {
  summary: string;
  run(argv: string[], env: Env): Promise<number>;
}

export const COMMANDS: Record<string, Command> = {
  serve: {
    summary: "Start the server (migrates the data dir first)",
    async run(argv, env) {
      const config = loadConfig(parseConfigFlags(argv).flags, env);
      const logger = createLogger({ format: config.logFormat });
      const server = await startServer(config, logger);
      process.stdout.write(`listening on ${server.url}\n`);
      const shutdown = (signal: string) => {
        logger.info("shutting down", { signal });
        server.stop().then(
          () => process.exit(0),
          (error) => {
            logger.error("shutdown failed", { error: String(error) });
            process.exit(1);
          },
        );
      };
      process.once("SIGTERM", () => shutdown("SIGTERM"));
      process.once("SIGINT", () => shutdown("SIGINT"));
      return new Promise<number>(() => {}); // runs until a signal
    },
  },
  migrate: {
    summary: "Apply pending database migrations and exit",
    async run(argv, env) {
      const config = loadConfig(parseConfigFlags(argv).flags, env);
      const logger = createLogger({ format: config.logFormat });
      const db = openDataDir(config, logger);
      const count = appliedMigrations(db.sqlite).length;
      db.close();
      process.stdout.write(`database ${config.dataDir} is up to date (${count} migrations)\n`);
      return 0;
    },
  },
  admin: adminCommand,
  keys: keysCommand,
  apply: applyCommand,
  export: exportCommand,
};

export const HELP = `switchboard ${VERSION}: endpoints, keys, workflows and webhooks in one binary

Usage: switchboard <command> [flags]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(9)} ${c.summary}`)
  .join("\n")}

Flags (serve, migrate):
  --host HOST          address to listen on (default 127.0.0.1, env SWITCHBOARD_HOST)
  --port PORT          port, 0 picks a free one (default 8080, env SWITCHBOARD_PORT)
  --data-dir DIR       database, keys and plugins (default ./sb_data, env SWITCHBOARD_DATA_DIR)
  --body-limit SIZE    largest request body, e.g. 1mb (default 1mb, env SWITCHBOARD_BODY_LIMIT)
  --log-format FORMAT  text or json (default text, env SWITCHBOARD_LOG_FORMAT)

  --help, -h           show this help
  --version, -v        print the version
`;
