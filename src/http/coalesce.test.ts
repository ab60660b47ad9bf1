import { describe, expect, test } from "bun:test";
import { coalesced } from "./coalesce";

/** Resolves after the immediates queued so far have run. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("coalesced", () => {
  test("answers ready in one turn are held past its microtasks and released together, in order", async () => {
    const released: string[] = [];
    const a = new Response("a");
    const b = new Response("b");
    const held = [coalesced(a), coalesced(Promise.resolve(b))].map((p, i) => p.then((r) => (released.push(i === 0 ? "a" : "b"), r)));
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(released).toEqual([]);
    await nextTurn();
    expect(released).toEqual(["a", "b"]);
    const [first, second] = await Promise.all(held);
    expect(first).toBe(a);
    expect(second).toBe(b);
  });

  test("an answer ready in a later turn is released at the end of that turn, not held further", async () => {
    const first = coalesced(new Response("1"));
    await nextTurn();
    expect(await (await first).text()).toBe("1");
    let done = false;
    const second = coalesced(new Response("2")).then((r) => ((done = true), r));
    await nextTurn();
    expect(done).toBe(true);
    expect(await (await second).text()).toBe("2");
  });

  test("a rejected answer is passed on as it is", async () => {
    const error = new Error("handler failed");
    await expect(coalesced(Promise.reject(error))).rejects.toBe(error);
  });

  test("over a real socket, concurrent calls each get their own answer", async () => {
    let n = 0;
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async (request) => {
        const body = (await request.json()) as { i: number };
        n++;
        return coalesced(Response.json({ i: body.i, seen: n }));
      },
    });
    try {
      const answers = await Promise.all(
        Array.from({ length: 64 }, (_, i) =>
          fetch(`http://127.0.0.1:${server.port}/`, { method: "POST", body: JSON.stringify({ i }) }).then((r) => r.json() as Promise<{ i: number }>),
        ),
      );
      expect(answers.map((a) => a.i)).toEqual(Array.from({ length: 64 }, (_, i) => i));
      expect(n).toBe(64);
    } finally {
      server.stop(true);
    }
  });
});
