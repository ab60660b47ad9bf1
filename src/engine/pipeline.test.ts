import { describe, expect, test } from "bun:test";
import { ActionError } from "../plugin-api";
import { MAX_ACTIONS, MAX_DEPTH, type PipelineAction } from "./pipeline";
import { runTestPipeline as pipeline, testAction as action } from "./testing";

describe("runPipeline", () => {
  test("results flow to later actions through ctx.results and the template data", async () => {
    const outcome = await pipeline([
      action("one", () => 1),
      action("two", (ctx, config) => [ctx.results[0], config], (data) => data.actions[0]!.result),
    ]);
    expect(outcome.status).toBe("completed");
    expect(outcome.results).toEqual([1, [1, 1]]);
    expect(outcome.steps.map((s) => [s.type, s.status])).toEqual([["one", "completed"], ["two", "completed"]]);
    expect(outcome.steps.every((s) => s.duration_ms >= 0)).toBe(true);
  });

  test("a failing action stops the run; later ones are not started", async () => {
    let third = false;
    const outcome = await pipeline([
      action("ok", () => "fine"),
      action("bad", () => {
        throw new ActionError("NOT_FOUND", "no such order");
      }),
      action("never", () => (third = true)),
    ]);
    expect(outcome.status).toBe("failed");
    expect(outcome.error).toMatchObject({ code: "NOT_FOUND", status: 404, action_index: 1, message: "no such order" });
    expect(outcome.steps).toHaveLength(2);
    expect(third).toBe(false);
  });

  test("an invalid rendered config is a 400 naming the path", async () => {
    const outcome = await pipeline([{ type: "typed", run: () => 1, render: () => ({ n: "x" }), check: () => [{ path: "config.n", message: "must be a number" }] }]);
    expect(outcome.error).toMatchObject({ code: "VALIDATION_ERROR", status: 400 });
    expect(outcome.error!.message).toContain("config.n must be a number");
  });

  test("the timeout ends the run even when the action ignores its signal", async () => {
    const started = performance.now();
    const outcome = await pipeline([action("stubborn", () => Bun.sleep(2000).then(() => "late"))], { timeoutMs: 100 });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(outcome.error).toMatchObject({ code: "TIMEOUT", status: 504, action_index: 0 });
  });

  test("actions see the abort signal fire on timeout", async () => {
    let sawAbort = false;
    await pipeline(
      [
        action("polite", (ctx) => new Promise((resolve) => ctx.signal.addEventListener("abort", () => resolve((sawAbort = true))))),
      ],
      { timeoutMs: 50 },
    );
    expect(sawAbort).toBe(true);
  });

  test("a client that goes away aborts the run", async () => {
    const client = new AbortController();
    setTimeout(() => client.abort(), 30);
    const outcome = await pipeline([action("slow", () => Bun.sleep(1000))], { client });
    expect(outcome.error?.code).toBe("TIMEOUT");
  });

  test("synchronous actions past the deadline: the next action is skipped with TIMEOUT", async () => {
    let second = false;
    const outcome = await pipeline(
      [
        action("busy", () => {
          const until = performance.now() + 30;
          while (performance.now() < until);
          return "done";
        }),
        action("after", () => (second = true)),
      ],
      { timeoutMs: 10 },
    );
    expect(second).toBe(false);
    expect(outcome.error).toMatchObject({ code: "TIMEOUT", action_index: 1 });
    expect(outcome.steps.map((s) => s.status)).toEqual(["completed", "skipped"]);
  });

  test("synchronous actions give the outcome synchronously; a pending one makes it a promise", async () => {
    const sync = pipeline([action("one", () => 1), action("two", () => Promise.resolve(2))]);
    expect(sync).not.toBeInstanceOf(Promise);
    expect((sync as Awaited<typeof sync>).results).toEqual([1, 2]);
    const failedSync = pipeline([action("bad", () => {
      throw new ActionError("CONFLICT", "taken");
    })]);
    expect(failedSync).not.toBeInstanceOf(Promise);
    expect((failedSync as Awaited<typeof failedSync>).error).toMatchObject({ code: "CONFLICT", status: 409 });
    const order: string[] = [];
    const pending = pipeline([
      action("first", () => (order.push("first"), 1)),
      action("later", () => new Promise((resolve) => setTimeout(() => resolve((order.push("later"), 2)), 1))),
      action("after", (ctx) => (order.push("after"), (ctx.results as number[]).reduce((a, b) => a + b, 0))),
    ]);
    expect(pending).toBeInstanceOf(Promise);
    const outcome = await pending;
    expect(outcome.results).toEqual([1, 2, 3]);
    expect(order).toEqual(["first", "later", "after"]);
    expect(outcome.steps.map((step) => step.status)).toEqual(["completed", "completed", "completed"]);
  });

  test("a promise that has already settled is taken as it is: no timer is armed for it", async () => {
    // The records capability answers inside Promise.resolve/reject; racing those against the
    // deadline would build a controller and a timer per request for nothing.
    const realSetTimeout = globalThis.setTimeout;
    let timers = 0;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => (timers++, realSetTimeout(...args))) as typeof setTimeout;
    try {
      const ok = await pipeline([action("settled", () => Promise.resolve({ n: 1 })), action("next", (ctx) => ctx.results[0])]);
      expect(ok.status).toBe("completed");
      expect(ok.results).toEqual([{ n: 1 }, { n: 1 }]);
      const refused = await pipeline([action("refused", () => Promise.reject(new ActionError("NOT_FOUND", "no such record")))]);
      expect(refused.error).toMatchObject({ code: "NOT_FOUND", status: 404, action_index: 0, message: "no such record" });
      expect(refused.steps[0]).toMatchObject({ status: "failed", error: { code: "NOT_FOUND" } });
      expect(timers).toBe(0);
      // A pending one still is raced against the deadline.
      await pipeline([action("pending", () => new Promise((resolve) => realSetTimeout(resolve, 1)))]);
      expect(timers).toBeGreaterThan(0);
    } finally {
      globalThis.setTimeout = realSetTimeout;
    }
  });

  test("the client's signal is read only when an action is pending", async () => {
    // On a server, reading a request's signal builds an AbortSignal wired to its connection.
    const controller = new AbortController();
    let reads = 0;
    const client = {
      get signal() {
        reads++;
        return controller.signal;
      },
    };
    const sync = await pipeline([action("a", () => 1), action("b", () => Promise.resolve(2))], { client });
    expect(sync.status).toBe("completed");
    expect(reads).toBe(0);
    const pending = await pipeline([action("slow", () => new Promise((resolve) => setTimeout(resolve, 1)))], { client });
    expect(pending.status).toBe("completed");
    expect(reads).toBe(1);
  });

  test("a client already gone when a pending action starts ends the run", async () => {
    const client = new AbortController();
    client.abort();
    const outcome = await pipeline([action("slow", () => Bun.sleep(1000))], { client });
    expect(outcome.error).toMatchObject({ code: "TIMEOUT", action_index: 0 });
  });

  test(`nesting deeper than ${MAX_DEPTH} is refused`, async () => {
    expect((await pipeline([action("a", () => 1)], { depth: MAX_DEPTH })).status).toBe("completed");
    const deep = await pipeline([action("a", () => 1)], { depth: MAX_DEPTH + 1 });
    expect(deep.status).toBe("failed");
    expect(deep.error!.message).toContain(`at most ${MAX_DEPTH}`);
  });

  test(`more than ${MAX_ACTIONS} actions are refused`, async () => {
    const outcome = await pipeline(Array.from({ length: MAX_ACTIONS + 1 }, () => action("a", () => 1)));
    expect(outcome.status).toBe("failed");
  });

  test("an unexpected throw is reported generically; the message stays in the step record", async () => {
    const outcome = await pipeline([
      action("buggy", () => {
        throw new Error("SQLITE_ERROR near 'x'");
      }),
    ]);
    expect(outcome.error).toMatchObject({ code: "INTERNAL_ERROR", status: 500, message: "Action 0 (buggy) failed" });
    expect(outcome.steps[0]!.error).toEqual({ code: "INTERNAL_ERROR", message: "SQLITE_ERROR near 'x'" });
  });
});
