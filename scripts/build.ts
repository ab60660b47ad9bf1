/**
 * `bun run build`: compiles src/main.ts, its embedded migrations (and later the admin UI) into
 * one executable, dist/switchboard by default (`--outfile PATH` to change it).
 */
import { join, resolve } from "node:path";

const root = join(import.meta.dir, "..");
const flag = process.argv.indexOf("--outfile");
const outfile = resolve(flag > 0 ? process.argv[flag + 1]! : join(root, "dist", "switchboard"));

const started = performance.now();
const proc = Bun.spawnSync(
  // Worker threads' modules are entrypoints of their own: a worker is loaded by path at run time,
  // so the bundler must put it in the binary (the history writer, history-thread.ts; the records
  // reader, reader-thread.ts).
  [
    process.execPath,
    "build",
    "--compile",
    // With chunks, the binary parses only the entry before main.ts runs: `serve` restarts itself
    // there (runtime-tuning.ts), and without splitting every start parsed the whole app first,
    // twice (cold start +150 ms instead of +40 ms).
    "--splitting",
    join(root, "src", "main.ts"),
    join(root, "src", "modules", "executions", "history-worker.ts"),
    join(root, "src", "modules", "collections", "reader-worker.ts"),
    "--outfile",
    outfile,
  ],
  { cwd: root, stdout: "inherit", stderr: "inherit" },
);
if (proc.exitCode !== 0) process.exit(proc.exitCode ?? 1);
console.log(`built ${outfile} in ${Math.round(performance.now() - started)} ms`);
