/**
 * Runs `switchboard` as a real child process (from source or a compiled binary), waits for the
 * `listening on` line and keeps everything it prints, so tests can assert on logs and exit codes.
 */
import { join } from "node:path";

export const ROOT = join(import.meta.dir, "..", "..");
export const MAIN = join(ROOT, "src", "main.ts");
export { tempDir } from "./app";

export interface ServerProcess {
  url: string;
  proc: ReturnType<typeof Bun.spawn>;
  /** Everything printed so far on stdout and stderr. */
  output(): string;
  /** Sends a signal and resolves with the exit code. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** The command that starts switchboard from source with the bun running the tests. */
export const fromSource = (...args: string[]) => [process.execPath, MAIN, ...args];

export async function startServerProcess(
  cmd: string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<ServerProcess> {
  const proc = Bun.spawn(cmd, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdout: "pipe",
    stderr: "pipe",
  });
  let out = "";
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) out += decoder.decode(chunk);
  };
  const done = Promise.all([collect(proc.stdout as ReadableStream), collect(proc.stderr as ReadableStream)]);
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let url: string | undefined;
  while (!url) {
    url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
    if (url) break;
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill("SIGKILL");
      await done;
      throw new Error(`server did not start (exit ${proc.exitCode}):\n${out}`);
    }
    await Bun.sleep(20);
  }
  return {
    url,
    proc,
    output: () => out,
    async kill(signal = "SIGTERM") {
      proc.kill(signal);
      const code = await proc.exited;
      await done;
      return code;
    },
  };
}

/** Runs a command to completion and returns its exit code and output. */
export async function runCommand(cmd: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const proc = Bun.spawn(cmd, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout as ReadableStream).text(),
    new Response(proc.stderr as ReadableStream).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}
