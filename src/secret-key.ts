/**
 * @module secret-key
 * The master key that encrypts credentials. SWITCHBOARD_SECRET_KEY wins; otherwise a random key is
 * generated once into `<data-dir>/secret.key` with mode 0600 and reused on every later start.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "./config";

export const SECRET_KEY_FILE = "secret.key";

/** Returns the master key, creating the key file on first use. */
export function loadSecretKey(dataDir: string, fromEnv?: string): string {
  if (fromEnv) return fromEnv;
  const file = join(dataDir, SECRET_KEY_FILE);
  if (existsSync(file)) {
    const key = readFileSync(file, "utf8").trim();
    if (key.length < 32) throw new ConfigError(`${file} holds no valid key (expected 32+ characters)`);
    return key;
  }
  const key = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  // flag "wx" fails if another process created the file first; then read theirs.
  try {
    writeFileSync(file, key + "\n", { mode: 0o600, flag: "wx" });
  } catch {
    return loadSecretKey(dataDir);
  }
  chmodSync(file, 0o600);
  return key;
}
