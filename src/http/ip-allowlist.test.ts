import { describe, expect, test } from "bun:test";
import { compileIpAllowlist, IpAllowlistError, ipMatcherFor, parseIp, validateCidrList } from "./ip-allowlist";

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("compileIpAllowlist", () => {
  const cases: [string, string[], string | undefined, boolean][] = [
    ["v4 CIDR, inside", ["10.0.0.0/8"], "10.200.3.4", true],
    ["v4 CIDR, outside", ["10.0.0.0/8"], "11.0.0.1", false],
    ["v4 /32, exact", ["192.168.1.5/32"], "192.168.1.5", true],
    ["v4 /32, neighbour", ["192.168.1.5/32"], "192.168.1.6", false],
    ["bare v4 is a host", ["192.168.1.5"], "192.168.1.5", true],
    ["v4 /0 admits every v4", ["0.0.0.0/0"], "203.0.113.9", true],
    ["v4 /0 does not admit v6", ["0.0.0.0/0"], "2001:db8::1", false],
    ["host bits in a rule are ignored", ["10.1.2.3/8"], "10.9.9.9", true],
    ["v6 CIDR, inside", ["2001:db8::/32"], "2001:db8:abcd::1", true],
    ["v6 CIDR, outside", ["2001:db8::/32"], "2001:db9::1", false],
    ["v6 uppercase", ["2001:DB8::/32"], "2001:DB8::FFFF", true],
    ["::1/128", ["::1/128"], "::1", true],
    ["::1/128, other", ["::1/128"], "::2", false],
    ["v6 /0 does not admit v4", ["::/0"], "10.0.0.1", false],
    ["mapped client vs v4 rule", ["10.0.0.0/8"], "::ffff:10.1.2.3", true],
    ["mapped client outside v4 rule", ["10.0.0.0/8"], "::ffff:11.1.2.3", false],
    ["mapped rule vs v4 client", ["::ffff:10.0.0.0/104"], "10.1.2.3", true],
    ["mapped bare rule vs v4 client", ["::ffff:10.1.2.3"], "10.1.2.3", true],
    ["zone id stripped", ["fe80::/10"], "fe80::1%eth0", true],
    ["mixed list, second entry", ["10.0.0.0/8", "2001:db8::/32"], "2001:db8::5", true],
    ["entries are trimmed", ["  10.0.0.0/8 "], "10.0.0.1", true],
    ["undefined ip refused", ["10.0.0.0/8"], undefined, false],
    ["garbage ip refused", ["0.0.0.0/0"], "not-an-ip", false],
    ["empty ip refused", ["0.0.0.0/0"], "", false],
    ["short-form v4 refused", ["127.0.0.0/8"], "127.1", false],
    ["octal-looking v4 refused", ["0.0.0.0/0"], "010.0.0.1", false],
    ["empty list allows anything", [], "203.0.113.9", true],
    ["empty list allows undefined", [], undefined, true],
  ];
  for (const [name, cidrs, ip, expected] of cases) {
    test(name, () => {
      expect(compileIpAllowlist(cidrs).matches(ip)).toBe(expected);
    });
  }

  test("empty flag", () => {
    expect(compileIpAllowlist([]).empty).toBe(true);
    expect(compileIpAllowlist(["::1"]).empty).toBe(false);
  });

  test("matchesAddress takes a parsed address", () => {
    const matcher = compileIpAllowlist(["10.0.0.0/8"]);
    expect(matcher.matchesAddress(parseIp("10.1.1.1")!)).toBe(true);
    expect(matcher.matchesAddress(parseIp("2001:db8::1")!)).toBe(false);
  });

  test("a bad entry throws IpAllowlistError naming it (trimmed)", () => {
    const error = thrown(() => compileIpAllowlist(["10.0.0.0/8", " abc "]));
    expect(error).toBeInstanceOf(IpAllowlistError);
    expect((error as IpAllowlistError).entry).toBe("abc");
    expect((error as Error).message).toContain('"abc"');
  });
});

describe("validateCidrList", () => {
  test("normalizes", () => {
    expect(validateCidrList([" 10.0.0.0/8", "192.168.1.5", "::1", "2001:DB8:0:0::/32", "::ffff:10.1.2.3", "::ffff:10.0.0.0/104", "fe80::1%eth0"]))
      .toEqual(["10.0.0.0/8", "192.168.1.5/32", "::1/128", "2001:db8::/32", "10.1.2.3/32", "10.0.0.0/8", "fe80::1/128"]);
    expect(validateCidrList([])).toEqual([]);
  });

  const bad: [string, unknown, string][] = [
    ["prefix too long for v4", ["10.0.0.0/33"], "10.0.0.0/33"],
    ["not an address", ["abc"], "abc"],
    ["empty string", ["10.0.0.0/8", ""], ""],
    ["blank string", ["   "], ""],
    ["negative prefix", ["1.2.3.4/-1"], "1.2.3.4/-1"],
    ["prefix too long for v6", ["::/129"], "::/129"],
    ["SQL injection", ["' or 1=1 --"], "' or 1=1 --"],
    ["leading-zero prefix", ["10.0.0.0/08"], "10.0.0.0/08"],
    ["empty prefix", ["10.0.0.0/"], "10.0.0.0/"],
    ["short-form v4", ["127.1"], "127.1"],
    ["hex v4", ["0x7f.0.0.1"], "0x7f.0.0.1"],
    ["two CIDRs in one entry", ["10.0.0.0/8,11.0.0.0/8"], "10.0.0.0/8,11.0.0.0/8"],
    ["newline inside", ["10.0.0.1\n10.0.0.2"], "10.0.0.1\n10.0.0.2"],
    ["not a string", [42], "42"],
    ["not a list", "10.0.0.0/8", "10.0.0.0/8"],
    ["too long", ["1".repeat(65)], "1".repeat(65)],
    ["too many", Array.from({ length: 101 }, (_, i) => `10.0.0.${i % 256}`), "10.0.0.100"],
  ];
  for (const [name, input, entry] of bad) {
    test(`rejects ${name}, naming the entry on one line`, () => {
      const error = thrown(() => validateCidrList(input));
      expect(error).toBeInstanceOf(IpAllowlistError);
      expect((error as IpAllowlistError).entry).toBe(entry);
      expect((error as Error).message).toStartWith("invalid IP allowlist entry");
      expect((error as Error).message).not.toContain("\n");
    });
  }

  test("100 entries is the maximum accepted", () => {
    expect(validateCidrList(Array.from({ length: 100 }, (_, i) => `10.0.0.${i}`))).toHaveLength(100);
  });
});

describe("ipMatcherFor", () => {
  test("same content -> same compiled matcher, even from a different array", () => {
    const a = ipMatcherFor(["10.0.0.0/8", "::1"]);
    expect(ipMatcherFor(["10.0.0.0/8", "::1"])).toBe(a);
    expect(ipMatcherFor(["10.0.0.0/8"])).not.toBe(a);
    expect(a.matches("10.1.1.1")).toBe(true);
  });

  test("empty list allows all; bad list throws and is not cached", () => {
    expect(ipMatcherFor([]).matches(undefined)).toBe(true);
    expect(() => ipMatcherFor(["nope"])).toThrow(IpAllowlistError);
    expect(() => ipMatcherFor(["nope"])).toThrow(IpAllowlistError);
  });

  test("the cache stays bounded and keeps working past its limit", () => {
    for (let i = 0; i < 1500; i++) ipMatcherFor([`10.${i >> 8}.${i & 255}.0/24`]);
    expect(ipMatcherFor(["10.0.5.0/24"]).matches("10.0.5.7")).toBe(true);
  });
});
