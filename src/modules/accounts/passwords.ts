/**
 * @module modules/accounts/passwords
 * Password hashing (argon2id through Bun.password) and email normalisation.
 */

export const hashPassword = (password: string) => Bun.password.hash(password, { algorithm: "argon2id" });

export const verifyPassword = (password: string, hash: string) => Bun.password.verify(password, hash);

/**
 * A real hash to verify against when the email is unknown, so a wrong email and a wrong password
 * take the same time and give the same answer (no account enumeration by timing).
 */
let dummyHash: Promise<string> | undefined;
export const dummyPasswordHash = () => (dummyHash ??= hashPassword(crypto.randomUUID()));

export const normalizeEmail = (email: string) => email.trim().toLowerCase();
