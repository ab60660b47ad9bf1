import { describe, expect, test } from "bun:test";
import { createClientIpResolver } from "./client-ip";

const request = (...xff: string[]) => new Request("http://switchboard.test/v1/x", { headers: xff.map((v): [string, string] => ["X-Forwarded-For", v]) });

describe("createClientIpResolver", () => {
  const proxies = ["10.0.0.0/8", "fd00::/8"];
  const cases: [string, readonly string[], string | undefined, string[], string | undefined][] = [
    ["no trust list: socket address", [], "203.0.113.9", [], "203.0.113.9"],
    ["no trust list: XFF ignored even from a private peer", [], "10.0.0.5", ["198.51.100.1"], "10.0.0.5"],
    ["untrusted peer with spoofed XFF: socket address", proxies, "203.0.113.9", ["1.2.3.4"], "203.0.113.9"],
    ["trusted peer without XFF: socket address", proxies, "10.0.0.5", [], "10.0.0.5"],
    ["trusted peer: right-most entry", proxies, "10.0.0.5", ["198.51.100.1"], "198.51.100.1"],
    ["trusted peer: left-most (client-written) entries not believed", proxies, "10.0.0.5", ["6.6.6.6, 198.51.100.1"], "198.51.100.1"],
    ["chain of trusted proxies skipped", proxies, "10.0.0.5", ["6.6.6.6, 198.51.100.1, 10.0.0.7, 10.0.0.6"], "198.51.100.1"],
    ["all hops trusted: left-most", proxies, "10.0.0.5", ["10.0.0.9, 10.0.0.8"], "10.0.0.9"],
    ["garbage right-most: socket address", proxies, "10.0.0.5", ["198.51.100.1, garbage"], "10.0.0.5"],
    ["garbage behind a trusted hop: that hop", proxies, "10.0.0.5", ["198.51.100.1, <script>, 10.0.0.7"], "10.0.0.7"],
    ["garbage left of the client: ignored", proxies, "10.0.0.5", ["'; drop table --, 198.51.100.1"], "198.51.100.1"],
    ["empty entry stops the walk", proxies, "10.0.0.5", ["198.51.100.1,"], "10.0.0.5"],
    ["entry with a port is not an address", proxies, "10.0.0.5", ["198.51.100.1:4444"], "10.0.0.5"],
    ["extra spaces around entries", proxies, "10.0.0.5", ["  198.51.100.1  ,10.0.0.7 "], "198.51.100.1"],
    ["repeated headers are joined", proxies, "10.0.0.5", ["6.6.6.6", "198.51.100.1, 10.0.0.7"], "198.51.100.1"],
    ["IPv6 trusted peer, IPv6 client", proxies, "fd00::1", ["2001:db8::42, fd00::2"], "2001:db8::42"],
    ["IPv6 untrusted peer", proxies, "2001:db8::1", ["1.2.3.4"], "2001:db8::1"],
    ["IPv6 client normalized", proxies, "fd00::1", ["2001:DB8:0:0::42"], "2001:db8::42"],
    ["mapped v4 peer matches a v4 trust rule", proxies, "::ffff:10.0.0.5", ["198.51.100.1"], "198.51.100.1"],
    ["mapped v4 peer normalized", [], "::ffff:203.0.113.9", [], "203.0.113.9"],
    ["mapped v4 entry normalized", proxies, "10.0.0.5", ["::ffff:198.51.100.1"], "198.51.100.1"],
    ["zone id dropped", [], "fe80::1%eth0", [], "fe80::1"],
    ["unknown socket address", proxies, undefined, ["198.51.100.1"], undefined],
    ["unparseable socket address", proxies, "unix:/run/sock", ["198.51.100.1"], undefined],
  ];
  for (const [name, trust, socketIp, xff, expected] of cases) {
    test(name, () => {
      expect(createClientIpResolver(trust).resolve(request(...xff), socketIp)).toBe(expected);
      expect(createClientIpResolver(trust).compute(request(...xff), socketIp)).toBe(expected);
    });
  }

  test("a very long trusted chain is walked at most 32 hops", () => {
    const header = ["198.51.100.1", ...Array.from({ length: 40 }, (_, i) => `10.0.1.${i}`)].join(", ");
    expect(createClientIpResolver(proxies).resolve(request(header), "10.0.0.5")).toBe("10.0.1.8");
  });

  test("memoized per request", () => {
    const resolver = createClientIpResolver(proxies);
    const req = request("198.51.100.1");
    expect(resolver.resolve(req, "10.0.0.5")).toBe("198.51.100.1");
    // Same request: the first answer stands (the socket cannot change within one request).
    expect(resolver.resolve(req, "203.0.113.9")).toBe("198.51.100.1");
    expect(resolver.resolve(request("198.51.100.1"), "203.0.113.9")).toBe("203.0.113.9");
    const unknown = request();
    expect(resolver.resolve(unknown, undefined)).toBeUndefined();
    expect(resolver.resolve(unknown, "10.0.0.5")).toBeUndefined();
    // compute answers afresh every time and leaves the memo alone.
    const fresh = request("198.51.100.1");
    expect(resolver.compute(fresh, "203.0.113.9")).toBe("203.0.113.9");
    expect(resolver.resolve(fresh, "10.0.0.5")).toBe("198.51.100.1");
  });

  test("a bad trust list throws at construction", () => {
    expect(() => createClientIpResolver(["10.0.0.0/99"])).toThrow(/10\.0\.0\.0\/99/);
  });
});
