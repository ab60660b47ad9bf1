import { describe, expect, test } from "bun:test";
import { randomBase62 } from "../../secrets";
import { generateApiKey } from "../keys/service";
import { REDACTED } from "./redact";
import { sanitizeRecord } from "./sanitize";
import { makeRecord } from "./testing";
import type { StepRecord } from "./types";

const step = (overrides: Partial<StepRecord>): StepRecord => ({ index: 0, type: "transform", status: "completed", duration_ms: 1, ...overrides });

describe("sanitizeRecord", () => {
  test("the reported transform: every secret of the body is gone from the stored record", () => {
    const callerKey = generateApiKey();
    const session = `sbs_${randomBase62(40)}`;
    const body = { list: [session], nested: { pwd: "audit password 12345" }, password: "hunter2secret" };
    const rec = makeRecord({ steps: [step({ result: { b: body, txt: JSON.stringify(body) } })] });
    const out = sanitizeRecord(rec, [callerKey]);
    const hidden = { list: [REDACTED], nested: { pwd: REDACTED }, password: REDACTED };
    const result = out.steps[0]!.result as { b: unknown; txt: string };
    expect(result.b).toEqual(hidden);
    expect(JSON.parse(result.txt)).toEqual(hidden);
    const stored = JSON.stringify(out);
    for (const secret of [session, "audit password 12345", "hunter2secret"]) expect(stored).not.toContain(secret);
    // The caller's record is untouched.
    expect((rec.steps[0]!.result as { b: typeof body }).b.password).toBe("hunter2secret");
  });

  test("tokens anywhere in the path, step names and messages", () => {
    const key = generateApiKey();
    const session = `sbs_${randomBase62(40)}`;
    const rec = makeRecord({
      path: `/api/v1/x/default/hook?k=${key}`,
      error_message: `upstream said {"token":"abc123","user":"${session}"}`,
      steps: [step({ name: `call ${key}`, status: "failed", error: { code: "UPSTREAM_ERROR", message: `{"password":"p4ssw0rd!"}` } })],
    });
    const out = sanitizeRecord(rec, []);
    expect(out.path).toBe(`/api/v1/x/default/hook?k=${REDACTED}`);
    expect(out.error_message).toBe(`upstream said {"token":"abc123","user":"${REDACTED}"}`);
    expect(out.steps[0]!.name).toBe(`call ${REDACTED}`);
    expect(out.steps[0]!.error).toEqual({ code: "UPSTREAM_ERROR", message: `{"password":"${REDACTED}"}` });
  });

  test("JSON text is redacted before a large result is cut to a preview", () => {
    const text = JSON.stringify({ filler: "y".repeat(5000), password: "hunter2secret" });
    const out = sanitizeRecord(makeRecord({ steps: [step({ result: { txt: text } })] }), []);
    const result = out.steps[0]!.result as { truncated: true; preview: string; bytes: number };
    expect(result.truncated).toBe(true);
    expect(result.bytes).toBe(JSON.stringify({ txt: JSON.stringify({ filler: "y".repeat(5000), password: REDACTED }) }).length);
    expect(result.preview.length).toBe(4096);
  });

  test("ordinary text is stored as it was", () => {
    const rec = makeRecord({ steps: [step({ result: { note: "sb_ and sbs_x and absbs_", usage: { max_tokens: 10, token_count: 3 } } })] });
    expect(sanitizeRecord(rec, []).steps[0]!.result).toEqual({ note: "sb_ and sbs_x and absbs_", usage: { max_tokens: 10, token_count: 3 } });
  });
});
