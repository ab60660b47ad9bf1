/**
 * @module engine/run-guard
 * The deadline and abort signal of one pipeline run, armed only when something asynchronous needs
 * them. A run whose actions all finish synchronously (transform; the records actions, whose
 * already-settled promises the pipeline reads with Bun.peek) costs a clock read per action, not an AbortController, a timer and two event listeners per request
 * (about 3 µs, a tenth of a whole echo call). Once armed, one controller carries the timeout and
 * the client's disconnect, and both are undone when the run ends: AbortSignal.timeout/any would
 * keep every finished request reachable until its timer fired (30 s).
 */

/** Thrown into a run when its signal fires. */
export class Aborted extends Error {}

export interface RunGuard {
  /** The run's signal; reading it arms the guard (an action may hand it to fetch or a timer). */
  readonly signal: AbortSignal;
  /** True once the deadline has passed or the signal (the client's or the run's) has fired. */
  expired(): boolean;
  /** Waits for `pending`, or rejects with Aborted when the signal fires first. Arms the guard. */
  race<T>(pending: PromiseLike<T>): Promise<T>;
  /** Clears the timer and the link to the client's signal. */
  dispose(): void;
}

/**
 * `client` carries the client's signal (a Request, an AbortController); it is read only when the
 * guard is armed. Until then nothing asynchronous runs, so there is nothing a disconnect could stop.
 */
export function createRunGuard(timeoutMs: number, client?: { readonly signal: AbortSignal }): RunGuard {
  return new Guard(performance.now() + timeoutMs, client);
}

interface Armed {
  controller: AbortController;
  clientSignal: AbortSignal | undefined;
  timer: ReturnType<typeof setTimeout>;
  aborted: Promise<never>;
  abort: () => void;
}

// A class, not an object of closures: every run makes one, and most never arm it.
class Guard implements RunGuard {
  private armed: Armed | undefined;

  constructor(
    private readonly deadline: number,
    private readonly client: { readonly signal: AbortSignal } | undefined,
  ) {}

  get signal(): AbortSignal {
    return this.arm().controller.signal;
  }

  expired(): boolean {
    // Once armed, the client's signal aborts the controller; before, only the clock can end the run.
    return (this.armed ? this.armed.controller.signal.aborted : false) || performance.now() >= this.deadline;
  }

  race<T>(pending: PromiseLike<T>): Promise<T> {
    return Promise.race([pending, this.arm().aborted]);
  }

  dispose(): void {
    if (!this.armed) return;
    clearTimeout(this.armed.timer);
    this.armed.clientSignal?.removeEventListener("abort", this.armed.abort);
  }

  private arm(): Armed {
    if (this.armed) return this.armed;
    const controller = new AbortController();
    const abort = () => controller.abort();
    let rejectAborted: (error: Aborted) => void = () => {};
    const aborted = new Promise<never>((_, reject) => (rejectAborted = reject));
    aborted.catch(() => {}); // observed by race(); never an unhandled rejection
    controller.signal.addEventListener("abort", () => rejectAborted(new Aborted()), { once: true });
    const timer = setTimeout(abort, Math.max(0, this.deadline - performance.now()));
    const clientSignal = this.client?.signal;
    clientSignal?.addEventListener("abort", abort, { once: true });
    this.armed = { controller, clientSignal, timer, aborted, abort };
    if (clientSignal?.aborted) abort();
    return this.armed;
  }
}
