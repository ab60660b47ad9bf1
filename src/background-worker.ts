/**
 * @module background-worker
 * Starts the worker threads that take work off the request thread (the history writer, the
 * records reader): they never keep the process alive, and a failure to start or a later error goes
 * to the caller, which then does the work in its own thread.
 */

/** Where a worker's module is: next to its caller from source; in the compiled binary, an extra
 * entrypoint of the build (scripts/build.ts) stored under the bundle's root, which is `src/`. */
export interface WorkerModule {
  /** `new URL("./x-worker.ts", import.meta.url)` in the caller. */
  source: URL;
  /** Its path from `src/`, e.g. `./modules/executions/history-worker.ts`. */
  inBinary: string;
}

export function startBackgroundWorker<T>(module: WorkerModule, handlers: { message(data: T): void; fail(error: unknown): void }): Worker | undefined {
  let worker: Worker;
  try {
    worker = new Worker(import.meta.url.startsWith("file:///$bunfs/") ? module.inBinary : module.source);
  } catch (error) {
    handlers.fail(error);
    return undefined;
  }
  (worker as Worker & { unref(): void }).unref();
  worker.onmessage = (event: MessageEvent<T>) => handlers.message(event.data);
  worker.onerror = (event) => handlers.fail(event.message ?? event);
  return worker;
}
