import { describe, expect, test } from "bun:test";
import { ALLOCATOR_ENV, restartCommand } from "./runtime-tuning";

const fromSource = {
  execPath: "/usr/local/bin/bun",
  argv: ["/usr/local/bin/bun", "/app/src/main.ts", "serve", "--port", "8080", "--data-dir", "my data"],
  execArgv: ["--smol"],
  compiled: false,
  env: { HOME: "/root", EMPTY: "" },
};

describe("restartCommand", () => {
  test("from source: the same bun, its flags, the script and every argument, with the settings added", () => {
    const c = restartCommand(fromSource)!;
    expect(c.args).toEqual(["/usr/local/bin/bun", "--smol", "/app/src/main.ts", "serve", "--port", "8080", "--data-dir", "my data"]);
    expect(c.env).toEqual({ HOME: "/root", EMPTY: "", ...ALLOCATOR_ENV });
  });

  test("a compiled binary is given only the user's arguments: it finds its own entry point", () => {
    const c = restartCommand({ ...fromSource, execPath: "/opt/switchboard", argv: ["bun", "/$bunfs/root/switchboard", "serve", "--port", "0"], execArgv: [], compiled: true })!;
    expect(c.args).toEqual(["/opt/switchboard", "serve", "--port", "0"]);
    expect(c.env.MIMALLOC_PURGE_HOLES).toBe("0");
  });

  test("no restart once the settings are there, which is what stops the restarted copy from looping", () => {
    const c = restartCommand(fromSource)!;
    expect(restartCommand({ ...fromSource, env: c.env })).toBeNull();
  });

  test("a value the user set, even an empty one, is kept: that is the opt-out", () => {
    expect(restartCommand({ ...fromSource, env: { MIMALLOC_PURGE_HOLES: "1" } })).toBeNull();
    expect(restartCommand({ ...fromSource, env: { MIMALLOC_PURGE_HOLES: "" } })).toBeNull();
  });
});
