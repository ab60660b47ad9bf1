/**
 * @module runtime-tuning
 * The allocator settings `switchboard serve` runs with. Bun's allocator (its fork of mimalloc)
 * reads its options from the environment once, when the process starts, and nothing in the
 * runtime can change them later. So a server started without them replaces itself with a copy
 * that has them: `execve`, which keeps the pid, the open files and the terminal, before any of
 * the app is loaded. It costs ~40 ms of start-up in the binary, once (which builds with
 * `--splitting` so that the first start parses only the entry, not the whole app).
 *
 * `MIMALLOC_PURGE_HOLES=0`: by default the allocator hands the free parts of pages still in use
 * back to the OS whenever a thread goes idle (at most every 100 ms). Under load the JavaScript
 * heap wants those pages again straight away, so they fault back in, on the request thread and on
 * JSC's block warm-up thread: ~7 µs of CPU per echo call. Whole free pages are still given back
 * after the usual delay. docs/performance.md (eleventh round) has the measurements.
 *
 * A setting the environment already has is kept as it is: `MIMALLOC_PURGE_HOLES=1` opts out.
 * Imports nothing, so `main.ts` can run it before loading the rest.
 */

/** What the server's process environment gets, unless it has a value of its own. */
export const ALLOCATOR_ENV: Readonly<Record<string, string>> = Object.freeze({ MIMALLOC_PURGE_HOLES: "0" });

export interface ProcessFacts {
  execPath: string;
  /** `process.argv`: from source [bun, script, ...args]; in a compiled binary ["bun", "/$bunfs/...", ...args]. */
  argv: readonly string[];
  /** Runtime flags given before the script (`bun --smol main.ts`); a compiled binary has its own. */
  execArgv: readonly string[];
  /** Whether this is a `bun build --compile` binary (its entry lives under /$bunfs/). */
  compiled: boolean;
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * The command and environment to restart with, or null when the environment already has every
 * setting (which is also how the restarted copy knows not to restart again).
 */
export function restartCommand(p: ProcessFacts): { args: string[]; env: Record<string, string> } | null {
  const missing = Object.keys(ALLOCATOR_ENV).filter((name) => p.env[name] === undefined);
  if (missing.length === 0) return null;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(p.env)) if (value !== undefined) env[name] = value;
  for (const name of missing) env[name] = ALLOCATOR_ENV[name]!;
  // A compiled binary finds its own entry point: it takes only the user's arguments.
  const args = p.compiled ? [p.execPath, ...p.argv.slice(2)] : [p.execPath, ...p.execArgv, ...p.argv.slice(1)];
  return { args, env };
}

/**
 * Replaces this process with one that has the allocator settings, if it lacks them and the
 * platform can (`process.execve` is missing on Windows). Returns only when it did not restart.
 */
export function restartWithAllocatorSettings(entryPath: string): void {
  if (typeof process.execve !== "function") return;
  const command = restartCommand({
    execPath: process.execPath,
    argv: process.argv,
    execArgv: process.execArgv,
    compiled: entryPath.startsWith("/$bunfs/"),
    env: process.env,
  });
  if (!command) return;
  try {
    process.execve(process.execPath, command.args, command.env);
  } catch {
    // Not fatal: the server runs as well with the allocator's defaults, a little slower.
  }
}
