/**
 * @module cli/run
 * The `switchboard` command line, loaded by `main.ts`. Known failures (bad configuration, a data
 * dir from a newer version) print one line to stderr and exit 1; only a real bug prints a stack.
 */
import { ConfigError } from "../config";
import { NewerDatabaseError } from "../db/migrate";
import { COMMANDS, HELP } from "./commands";
import { VERSION } from "../version";

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(HELP);
    return name === undefined ? 1 : 0;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    process.stdout.write(`switchboard ${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`error: unknown command "${name}" (see switchboard --help)\n`);
    return 1;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(HELP);
    return 0;
  }
  return command.run(rest, process.env);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof ConfigError || error instanceof NewerDatabaseError) {
      process.stderr.write(`error: ${error.message}\n`);
    } else {
      process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
    process.exit(1);
  },
);
