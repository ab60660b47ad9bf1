/**
 * @module thread-priority
 * Lets a background thread step back for the request thread. On Linux every thread is a task
 * with an id of its own, and `setpriority` on that id (what `os.setPriority` calls) sets the
 * nice value of that thread alone; `/proc/thread-self` names the calling thread's id.
 *
 * The history writer runs at nice 10: when it and the request thread want the same core, the
 * scheduler gives the request thread about nine tenths of it, instead of half, and the writer
 * catches up in the time requests leave over (its shared ring holds over a second of a busy
 * server's records, and a full ring makes the request thread write them itself: slower, never
 * lost). Measured on the 2-vCPU bench machine in docs/performance.md.
 */
import { readlinkSync } from "node:fs";
import { getPriority, setPriority } from "node:os";

/** The nice value the history writer thread runs at (0 is the default; 19 the lowest priority). */
export const BACKGROUND_NICE = 10;

/**
 * Lowers the calling thread's priority to `nice`, only that thread's; a thread already at that
 * nice value or lower priority is left as it is (raising priority needs privileges). False where
 * it cannot (not Linux, no /proc, refused): the thread then keeps the process's priority.
 */
export function lowerThisThreadPriority(nice = BACKGROUND_NICE): boolean {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    if (getPriority(tid) < nice) setPriority(tid, nice);
    return true;
  } catch {
    return false;
  }
}
