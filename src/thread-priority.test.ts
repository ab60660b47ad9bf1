import { describe, expect, test } from "bun:test";
import { getPriority } from "node:os";
import { join } from "node:path";

/** A thread's own nice value: on Linux getpriority takes a thread id. */
const niceOf = (tid: number) => getPriority(tid);

describe.skipIf(process.platform !== "linux")("lowerThisThreadPriority", () => {
  test("lowers the calling thread alone: a worker at nice 10, the main thread as it was", async () => {
    const before = getPriority();
    const module = join(import.meta.dir, "thread-priority.ts");
    const worker = new Worker(
      URL.createObjectURL(
        new Blob(
          [
            `const { lowerThisThreadPriority } = await import(${JSON.stringify(module)});
             const done = lowerThisThreadPriority();
             const tid = Number(require("node:fs").readlinkSync("/proc/thread-self").split("/").pop());
             postMessage({ done, tid });`,
          ],
          { type: "application/javascript" },
        ),
      ),
    );
    const { done, tid } = await new Promise<{ done: boolean; tid: number }>((resolve) => (worker.onmessage = (event) => resolve(event.data)));
    try {
      expect(done).toBe(true);
      expect(tid).not.toBe(process.pid);
      // A test run already niced past 10 stays where it was.
      expect(niceOf(tid)).toBe(Math.max(10, before));
      expect(niceOf(process.pid)).toBe(before);
      expect(getPriority()).toBe(before);
    } finally {
      worker.terminate();
    }
  });
});
