import { describe, expect, test } from "bun:test";
import { bodyKind, decodeBody, mayHaveBody, parseBody, readBodyBytes, readBodyText } from "./body";

const post = (body: BodyInit | null, headers: Record<string, string> = {}) => new Request("http://localhost/x", { method: "POST", body, headers });

/** A body with no declared length, as a chunked upload arrives. */
function streamed(...chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

/** Awaits a refusal: an AppError with this code (the body helpers throw nothing else). */
const refused = (pending: Promise<unknown>, code: string) => expect(pending).rejects.toMatchObject({ name: "AppError", code });

describe("mayHaveBody", () => {
  test("answers from Content-Length when there is one, from the request otherwise", () => {
    expect(mayHaveBody(post("{}", { "content-length": "2" }))).toBe(true);
    expect(mayHaveBody(post(null, { "content-length": "0" }))).toBe(false);
    expect(mayHaveBody(post(streamed(new Uint8Array([123, 125]))))).toBe(true);
    expect(mayHaveBody(new Request("http://localhost/x"))).toBe(false);
  });
});

describe("readBodyText", () => {
  test("reads a declared body, and an undeclared (streamed) one", async () => {
    expect(await readBodyText(post('{"a":"ü"}', { "content-length": "11" }), 100)).toBe('{"a":"ü"}');
    expect(await readBodyText(post(streamed(new TextEncoder().encode("hello "), new TextEncoder().encode("wörld"))), 100)).toBe("hello wörld");
    expect(await readBodyText(post(null, { "content-length": "0" }), 100)).toBe("");
  });

  test("a declared length over the limit is a 413 before anything is read", async () => {
    const request = post("x".repeat(50), { "content-length": "50" });
    await refused(readBodyText(request, 10), "PAYLOAD_TOO_LARGE");
    expect(request.bodyUsed).toBe(false);
  });

  test("an undeclared body is cut off with 413 as soon as it passes the limit", async () => {
    await refused(readBodyText(post(streamed(new Uint8Array(8), new Uint8Array(8))), 10), "PAYLOAD_TOO_LARGE");
  });

  test("bytes that are not UTF-8 are a 400, declared or streamed", async () => {
    const bad = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]);
    await refused(readBodyText(post(bad, { "content-length": "4" }), 100), "VALIDATION_ERROR");
    await refused(readBodyText(post(streamed(bad)), 100), "VALIDATION_ERROR");
  });
});

describe("readBodyBytes", () => {
  test("with a Content-Length it hands back the runtime's own read; without one it reads the stream", async () => {
    const request = post("héllo", { "content-length": "6" });
    const pending = readBodyBytes(request, 100);
    expect(pending).toBeInstanceOf(Promise);
    expect(new TextDecoder().decode(await pending)).toBe("héllo");
    expect(request.bodyUsed).toBe(true);
    expect((await readBodyBytes(post(streamed(new Uint8Array([1, 2]), new Uint8Array([3]))), 100)).length).toBe(3);
    expect((await readBodyBytes(post(null, { "content-length": "0" }), 100)).length).toBe(0);
  });

  test("a declared length over the limit throws at once, before anything is read", () => {
    const request = post("x".repeat(50), { "content-length": "50" });
    expect(() => readBodyBytes(request, 10)).toThrow(expect.objectContaining({ code: "PAYLOAD_TOO_LARGE" }));
    expect(request.bodyUsed).toBe(false);
  });
});

describe("bodyKind and decodeBody", () => {
  test("the kind comes from the media type, whatever its case and parameters", () => {
    expect(bodyKind("application/json")).toBe("json");
    expect(bodyKind("Application/JSON; charset=utf-8")).toBe("json");
    expect(bodyKind("application/vnd.api+json")).toBe("json");
    expect(bodyKind("application/x-www-form-urlencoded")).toBe("form");
    expect(bodyKind("text/csv")).toBe("text");
    expect(bodyKind("application/octet-stream")).toBe("other");
    expect(bodyKind("")).toBe("other");
  });

  test("JSON and forms are decoded, anything else stays the text as received", () => {
    expect(decodeBody('{"a":[1]}', "json")).toEqual({ a: [1] });
    expect(decodeBody("", "json")).toBeNull();
    expect(decodeBody("a=1&__proto__=x", "form")).toEqual({ a: "1" });
    expect(decodeBody("a,b", "text")).toBe("a,b");
    expect(decodeBody("\x00raw", "other")).toBe("\x00raw");
    expect(() => decodeBody("{nope", "json")).toThrow(expect.objectContaining({ code: "VALIDATION_ERROR" }));
  });
});

describe("parseBody", () => {
  test("JSON, form and text by content type; __proto__ keys dropped", async () => {
    const json = await parseBody(post('{"a":1,"__proto__":{"x":1}}', { "content-type": "application/json" }), "application/json", 100);
    expect(json).toEqual({ a: 1 });
    expect(Object.getPrototypeOf(json)).toBe(Object.prototype);
    expect(await parseBody(post("a=1&a=2&b=%C3%BC"), "application/x-www-form-urlencoded", 100)).toEqual({ a: ["1", "2"], b: "ü" });
    expect(await parseBody(post("plain"), "text/plain; charset=utf-8", 100)).toBe("plain");
    expect(await parseBody(post("raw"), "application/octet-stream", 100)).toEqual(new TextEncoder().encode("raw"));
    expect(await parseBody(post(""), "application/octet-stream", 100)).toBeNull();
  });

  test("a __proto__ key spelled with escapes is dropped too", async () => {
    const text = '{"\\u005f_proto__":{"a":1},"b":2}';
    expect(JSON.parse(text)).toHaveProperty("__proto__");
    const parsed = await parseBody(post(text), "application/json", 100);
    expect(parsed).toEqual({ b: 2 });
    expect(Object.hasOwn(parsed as object, "__proto__")).toBe(false);
  });

  test("every type is read under the limit, a chunked upload of bytes or multipart included", async () => {
    const big = new Uint8Array(150).fill(120);
    await refused(parseBody(post(streamed(big.subarray(0, 80), big.subarray(80))), "application/octet-stream", 100), "PAYLOAD_TOO_LARGE");
    await refused(parseBody(post(streamed(big)), "multipart/form-data; boundary=x", 100), "PAYLOAD_TOO_LARGE");
    await refused(parseBody(post(streamed(big)), "", 100), "PAYLOAD_TOO_LARGE");
  });

  test("multipart is decoded to its fields; malformed multipart is a 400", async () => {
    const form = new FormData();
    form.append("a", "1");
    form.append("a", "2");
    form.append("__proto__", "x");
    form.append("f", new File(["hi"], "f.txt"));
    const request = new Request("http://localhost/x", { method: "POST", body: form });
    const type = request.headers.get("content-type")!;
    const fields = (await parseBody(request, type, 10_000)) as Record<string, unknown>;
    expect(fields.a).toEqual(["1", "2"]);
    expect(Object.hasOwn(fields, "__proto__")).toBe(false);
    expect(await (fields.f as File).text()).toBe("hi");
    await refused(parseBody(post("not multipart at all"), "multipart/form-data; boundary=zz", 1000), "VALIDATION_ERROR");
  });

  test("malformed or too deep JSON is a 400", async () => {
    await refused(parseBody(post("{nope"), "application/json", 1000), "VALIDATION_ERROR");
    const deep = "[".repeat(101) + "]".repeat(101);
    await expect(parseBody(post(deep), "application/json", 1000)).rejects.toThrow("deeper than 100");
  });
});
