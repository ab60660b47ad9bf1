import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ActionError, type ActionErrorCode, type OutboundRequest } from "../plugin-api";
import { classifyAddress, createHttpCapability, isRefusedAddress, MAX_RESPONSE_BYTES, type AddressClass, type HttpCapabilityOptions } from "./outbound-http";

// Self-signed, valid until 2126, for the name sb.test only: proves TLS is checked against the
// URL's name while the connection is pinned to the checked address.
const TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBjzCCATWgAwIBAgIUA4jxdHVAeOCxtpjPFeqpI01bKuMwCgYIKoZIzj0EAwIw
EjEQMA4GA1UEAwwHc2IudGVzdDAgFw0yNjExMjMwMDA5NThaGA8yMTI2MTAzMDAw
MDk1OFowEjEQMA4GA1UEAwwHc2IudGVzdDBZMBMGByqGSM49AgEGCCqGSM49AwEH
A0IABF5Wa1NcLpRA12jKLyqxebaQh/xZDTV3edYtKu0GW/fda+syuAK+NtKcaXFF
zXw1QvyD4dqIp1K0Lk1f5ygBGGajZzBlMB0GA1UdDgQWBBQjN2D/uvRBBkzdHNio
kp4R+9K2zjAfBgNVHSMEGDAWgBQjN2D/uvRBBkzdHNiokp4R+9K2zjAPBgNVHRMB
Af8EBTADAQH/MBIGA1UdEQQLMAmCB3NiLnRlc3QwCgYIKoZIzj0EAwIDSAAwRQIh
APlyNBgCxCEtGIC8zP6nmqXhDYL8prT8yfAT43Gdtax+AiACMx4fyCaViNCj9RNq
mK8MLGhLqCdVt94VQ+Z9r+lABQ==
-----END CERTIFICATE-----`;
const TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg4L31Daau8KgNqiEd
3MEnIJVLsmqkEFW2SnN0H1i1T6ChRANCAAReVmtTXC6UQNdoyi8qsXm2kIf8WQ01
d3nWLSrtBlv33WvrMrgCvjbSnGlxRc18NUL8g+HaiKdStC5NX+coARhm
-----END PRIVATE KEY-----`;

type Server = ReturnType<typeof Bun.serve>;
let main: Server;
let other: Server;
let secure: Server;
let base: string;
let closedPort: number;

/** What the echo route saw. */
interface Echo {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

const echo = async (req: Request): Promise<Response> => {
  const url = new URL(req.url);
  const seen: Echo = { method: req.method, path: url.pathname + url.search, headers: Object.fromEntries(req.headers), body: await req.text() };
  return Response.json(seen);
};

beforeAll(async () => {
  other = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: echo });
  main = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const q = url.searchParams;
      switch (url.pathname) {
        case "/json":
          return Response.json({ ok: true, n: 1 }, { headers: { "x-upstream": "yes" } });
        case "/problem":
          return new Response(JSON.stringify({ title: "nope" }), { status: 422, headers: { "content-type": "application/problem+json" } });
        case "/mislabelled":
          return new Response("not json", { headers: { "content-type": "application/json" } });
        case "/text":
          return new Response("plain text");
        case "/redirect":
          return new Response(null, { status: Number(q.get("status") ?? 302), headers: { location: q.get("to")! } });
        case "/chain": {
          const left = Number(q.get("n"));
          return left === 0 ? Response.json({ arrived: true }) : new Response(null, { status: 302, headers: { location: `/chain?n=${left - 1}` } });
        }
        case "/slow":
          await Bun.sleep(2000);
          return new Response("late");
        case "/big":
          return new Response(new Uint8Array(Number(q.get("bytes"))), { headers: { "content-type": "application/octet-stream" } });
        case "/stream": {
          // No Content-Length: the cap must hold while reading.
          const chunks = Number(q.get("chunks"));
          let sent = 0;
          return new Response(
            new ReadableStream({
              pull(controller) {
                if (sent++ >= chunks) return controller.close();
                controller.enqueue(new Uint8Array(1024 * 1024));
              },
            }),
          );
        }
        default:
          return echo(req);
      }
    },
  });
  secure = Bun.serve({ hostname: "127.0.0.1", port: 0, tls: { cert: TLS_CERT, key: TLS_KEY }, fetch: echo });
  base = `http://127.0.0.1:${main.port}`;
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  closedPort = probe.port!;
  await probe.stop(true);
});
afterAll(() => {
  for (const server of [main, other, secure]) server.stop(true);
});

const names: Record<string, string[]> = {
  "gateway.test": ["127.0.0.1"],
  "sb.test": ["127.0.0.1"],
  "wrong-name.test": ["127.0.0.1"],
  "closed.test": ["127.0.0.1"],
  "mixed.test": ["93.184.216.34", "10.0.0.1"],
  "metadata.test": ["169.254.169.254"],
};
const testResolve = async (host: string) => {
  const found = names[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
  return found;
};

const http = (options: Partial<HttpCapabilityOptions> = {}) =>
  createHttpCapability({ allowPrivate: true, signal: new AbortController().signal, resolve: testResolve, ...options });

async function failure(promise: Promise<unknown>): Promise<ActionError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ActionError);
    return error as ActionError;
  }
  throw new Error("expected the request to fail");
}

describe("classifyAddress (ipaddr.js ranges)", () => {
  const cases: [string, AddressClass][] = [
    ["93.184.216.34", "public"],
    ["8.8.8.8", "public"],
    ["2606:4700:4700::1111", "public"],
    ["127.0.0.1", "private"],
    ["127.255.0.9", "private"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["172.32.0.1", "public"],
    ["192.168.1.1", "private"],
    ["169.254.1.1", "private"],
    ["100.64.0.1", "private"],
    ["100.127.255.254", "private"],
    ["0.0.0.0", "private"],
    ["224.0.0.1", "private"],
    ["255.255.255.255", "private"],
    ["::1", "private"],
    ["::", "private"],
    ["fc00::1", "private"],
    ["fd12:3456::1", "private"],
    ["fe80::1", "private"],
    ["ff02::1", "private"],
    ["::ffff:127.0.0.1", "private"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:8.8.8.8", "public"],
    ["64:ff9b::a00:1", "private"],
    ["64:ff9b::808:808", "public"],
    ["169.254.169.254", "metadata"],
    ["::ffff:169.254.169.254", "metadata"],
    ["fd00:ec2::254", "metadata"],
  ];
  for (const [address, kind] of cases) test(`${address} is ${kind}`, () => expect(classifyAddress(address)).toBe(kind));

  test("allowPrivate opens private addresses but never metadata", () => {
    expect(isRefusedAddress("10.0.0.1", false)).toBe(true);
    expect(isRefusedAddress("10.0.0.1", true)).toBe(false);
    expect(isRefusedAddress("169.254.169.254", true)).toBe(true);
    expect(isRefusedAddress("8.8.8.8", false)).toBe(false);
  });
});

describe("createHttpCapability: refusals before any connection", () => {
  const refusals: [string, string, RegExp][] = [
    ["loopback literal", "http://127.0.0.1:1/", /refused/],
    ["loopback in another spelling", "http://2130706433:1/", /refused/],
    ["IPv6 loopback literal", "http://[::1]:1/", /refused/],
    ["mapped loopback literal", "http://[::ffff:127.0.0.1]:1/", /refused/],
    ["localhost through the system resolver", "http://localhost:1/", /refused/],
    ["private LAN literal", "http://192.168.0.10/", /refused/],
    ["a name with one public and one private address", "http://mixed.test/", /refused/],
  ];
  for (const [name, url, message] of refusals) {
    test(`allowPrivate false: ${name} -> FORBIDDEN`, async () => {
      const error = await failure(http({ allowPrivate: false, resolve: url.includes("localhost") ? undefined : testResolve }).fetch(url));
      expect(error.code).toBe("FORBIDDEN");
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain("10.0.0.1"); // resolved addresses are not echoed
    });
  }

  test("allowPrivate false: the local test server is refused", async () => {
    expect((await failure(http({ allowPrivate: false }).fetch(`${base}/json`))).code).toBe("FORBIDDEN");
  });

  test("metadata is refused even with allowPrivate, by literal and by name", async () => {
    expect((await failure(http().fetch("http://169.254.169.254/latest/meta-data/"))).code).toBe("FORBIDDEN");
    expect((await failure(http().fetch("http://metadata.test/"))).code).toBe("FORBIDDEN");
  });

  const invalid: [string, string, OutboundRequest, ActionErrorCode][] = [
    ["a file URL", "file:///etc/passwd", {}, "VALIDATION_ERROR"],
    ["not a URL", "::nope::", {}, "VALIDATION_ERROR"],
    ["a GET with a body", "http://gateway.test/", { body: { a: 1 } }, "VALIDATION_ERROR"],
    ["a bad method", "http://gateway.test/", { method: "GE T" }, "VALIDATION_ERROR"],
    ["a bad header", "http://gateway.test/", { headers: { "bad header": "x" } }, "VALIDATION_ERROR"],
    ["an unknown host", "http://unknown.test/", {}, "UPSTREAM_ERROR"],
  ];
  for (const [name, url, request, code] of invalid) {
    test(`${name} -> ${code}`, async () => expect((await failure(http().fetch(url, request))).code).toBe(code));
  }
});

describe("createHttpCapability against a real local server (allowPrivate)", () => {
  test("JSON answers are parsed, headers lower-cased", async () => {
    const res = await http().fetch(`${base}/json`);
    expect(res).toMatchObject({ status: 200, body: { ok: true, n: 1 } });
    expect(res.headers["x-upstream"]).toBe("yes");
    expect(res.headers["content-type"]).toContain("application/json");
  });

  const bodies: [string, string, unknown, number][] = [
    ["+json media types", "/problem", { title: "nope" }, 422],
    ["text stays text", "/text", "plain text", 200],
    ["a mislabelled answer stays text", "/mislabelled", "not json", 200],
  ];
  for (const [name, path, body, status] of bodies) {
    test(name, async () => expect(await http().fetch(base + path)).toMatchObject({ status, body }));
  }

  test("an object body is sent as JSON; the connection is pinned to the checked address with the name as Host", async () => {
    const res = await http().fetch(`http://gateway.test:${main.port}/send?x=1`, { method: "post", body: { to: "+1555", n: 2 }, headers: { "X-Token": "t" } });
    const seen = res.body as Echo;
    expect(seen.method).toBe("POST");
    expect(seen.path).toBe("/send?x=1");
    expect(JSON.parse(seen.body)).toEqual({ to: "+1555", n: 2 });
    expect(seen.headers["content-type"]).toBe("application/json");
    expect(seen.headers["x-token"]).toBe("t");
    // gateway.test exists only in the test resolver: reaching the server proves no second lookup.
    expect(seen.headers.host).toBe(`gateway.test:${main.port}`);
  });

  test("a string body is sent as is, with the caller's content type", async () => {
    const res = await http().fetch(`${base}/echo`, { method: "PUT", body: "a=1&b=2", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(res.body).toMatchObject({ method: "PUT", body: "a=1&b=2", headers: { "content-type": "application/x-www-form-urlencoded" } });
  });

  test("https: pinned to the address, SNI and certificate checked against the name", async () => {
    const res = await http({ ca: TLS_CERT }).fetch(`https://sb.test:${secure.port}/hello`);
    expect(res.status).toBe(200);
    expect((res.body as Echo).headers.host).toBe(`sb.test:${secure.port}`);
    const error = await failure(http({ ca: TLS_CERT }).fetch(`https://wrong-name.test:${secure.port}/hello`));
    expect(error.code).toBe("UPSTREAM_ERROR");
    expect(error.message).toContain("ERR_TLS_CERT_ALTNAME_INVALID");
  });

  test("a closed port is an UPSTREAM_ERROR that does not name the address", async () => {
    const error = await failure(http().fetch(`http://closed.test:${closedPort}/`));
    expect(error.code).toBe("UPSTREAM_ERROR");
    expect(error.message).toContain("closed.test");
    expect(error.message).not.toContain("127.0.0.1");
  });
});

describe("redirects", () => {
  const to = (location: string, status = 302) => `${base}/redirect?status=${status}&to=${encodeURIComponent(location)}`;

  test("followed, relative locations resolved against the current URL", async () => {
    expect((await http().fetch(`${base}/chain?n=5`)).body).toEqual({ arrived: true });
  });

  test("more than 5 hops -> UPSTREAM_ERROR", async () => {
    const error = await failure(http().fetch(`${base}/chain?n=6`));
    expect(error.code).toBe("UPSTREAM_ERROR");
    expect(error.message).toMatch(/Too many redirects/);
  });

  test("every hop is checked again: a redirect to a metadata address is refused", async () => {
    for (const location of ["http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/", "http://metadata.test/"]) {
      expect((await failure(http().fetch(to(location)))).code).toBe("FORBIDDEN");
    }
  });

  test("a redirect to a non-http scheme is refused", async () => {
    expect((await failure(http().fetch(to("file:///etc/passwd")))).code).toBe("UPSTREAM_ERROR");
  });

  test("303 turns a POST into a body-less GET; 307 keeps method and body", async () => {
    const after303 = (await http().fetch(to("/echo", 303), { method: "POST", body: { a: 1 } })).body as Echo;
    expect([after303.method, after303.body]).toEqual(["GET", ""]);
    expect(after303.headers["content-type"]).toBeUndefined();
    const after307 = (await http().fetch(to("/echo", 307), { method: "POST", body: { a: 1 } })).body as Echo;
    expect([after307.method, after307.body]).toEqual(["POST", '{"a":1}']);
  });

  test("credentials follow a same-origin redirect but not a cross-origin one", async () => {
    const headers = { authorization: "Bearer secret", cookie: "s=1", "x-keep": "yes" };
    const same = (await http().fetch(to("/echo", 307), { headers })).body as Echo;
    expect(same.headers.authorization).toBe("Bearer secret");
    const cross = (await http().fetch(to(`http://127.0.0.1:${other.port}/elsewhere`, 307), { headers })).body as Echo;
    expect(cross.path).toBe("/elsewhere");
    expect(cross.headers.authorization).toBeUndefined();
    expect(cross.headers.cookie).toBeUndefined();
    expect(cross.headers["x-keep"]).toBe("yes");
  });
});

describe("timeouts and aborts -> TIMEOUT", () => {
  test("the request's own timeoutMs", async () => {
    const started = performance.now();
    const error = await failure(http().fetch(`${base}/slow`, { timeoutMs: 100 }));
    expect(error.code).toBe("TIMEOUT");
    expect(error.message).toMatch(/timed out after 100 ms/);
    expect(performance.now() - started).toBeLessThan(1500);
  });

  test("the default timeout", async () => {
    expect((await failure(http({ defaultTimeoutMs: 100 }).fetch(`${base}/slow`))).code).toBe("TIMEOUT");
  });

  test("the pipeline's signal", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await failure(http({ signal: controller.signal }).fetch(`${base}/slow`));
    expect(error.code).toBe("TIMEOUT");
    expect(error.message).toMatch(/stopped with its pipeline/);
  });

  test("an already aborted pipeline sends nothing", async () => {
    const controller = new AbortController();
    controller.abort();
    expect((await failure(http({ signal: controller.signal }).fetch(`${base}/json`))).code).toBe("TIMEOUT");
  });

  test("a DNS lookup that never answers", async () => {
    const hang = () => new Promise<string[]>(() => {});
    expect((await failure(http({ resolve: hang }).fetch("http://slow-dns.test/", { timeoutMs: 100 }))).code).toBe("TIMEOUT");
  });
});

describe("response size cap", () => {
  test(`the default cap is ${MAX_RESPONSE_BYTES} bytes: just under passes, over fails`, async () => {
    const under = await http().fetch(`${base}/big?bytes=${MAX_RESPONSE_BYTES}`);
    expect((under.body as string).length).toBe(MAX_RESPONSE_BYTES);
    const error = await failure(http().fetch(`${base}/big?bytes=${MAX_RESPONSE_BYTES + 1}`));
    expect(error.code).toBe("UPSTREAM_ERROR");
    expect(error.message).toMatch(/exceeds/);
  });

  test("a streamed body without Content-Length is cut off while reading", async () => {
    const error = await failure(http({ maxResponseBytes: 3 * 1024 * 1024 }).fetch(`${base}/stream?chunks=10`));
    expect(error.code).toBe("UPSTREAM_ERROR");
    expect(error.details).toEqual({ limit_bytes: 3 * 1024 * 1024 });
  });
});
