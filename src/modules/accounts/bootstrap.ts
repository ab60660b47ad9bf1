/**
 * @module modules/accounts/bootstrap
 * First start: the `default` account always exists, and its first owner (an instance admin)
 * comes from SWITCHBOARD_ADMIN_EMAIL / SWITCHBOARD_ADMIN_PASSWORD or `switchboard admin create`.
 */
import type { Logger } from "../../log";
import type { AccountsService } from "./service";
import type { UsersService } from "./users-service";

export interface BootstrapInput {
  accounts: AccountsService;
  users: UsersService;
  logger: Logger;
  adminEmail?: string;
  adminPassword?: string;
}

/** Ensures the bootstrap account and, when configured and missing, its owner. */
export async function bootstrap({ accounts, users, logger, adminEmail, adminPassword }: BootstrapInput) {
  const account = accounts.ensureBootstrapAccount();
  if (users.activeOwners(account.id).length > 0) return;
  if (adminEmail && adminPassword) {
    const existing = users.byEmail(adminEmail);
    if (existing) {
      logger.warn("SWITCHBOARD_ADMIN_EMAIL belongs to an existing user that is not an active owner; no owner created", {
        email: existing.email,
      });
      return;
    }
    const owner = await users.createUnchecked(account.id, { email: adminEmail, password: adminPassword, roles: ["owner"], instanceAdmin: true });
    logger.info("created the first owner", { email: owner.email, account: account.slug });
    return;
  }
  logger.warn(
    "no owner yet: set SWITCHBOARD_ADMIN_EMAIL and SWITCHBOARD_ADMIN_PASSWORD, or run `switchboard admin create --email E --password P`",
  );
}

/** Creates an owner for an account (the `default` one unless named); instance admin on the bootstrap account. */
export async function createOwner(
  { accounts, users }: Pick<BootstrapInput, "accounts" | "users">,
  input: { email: string; password: string; accountSlug?: string },
) {
  const account = input.accountSlug ? accounts.bySlug(input.accountSlug) : accounts.ensureBootstrapAccount();
  if (!account) throw new Error(`no account with slug "${input.accountSlug}"`);
  return users.createUnchecked(account.id, {
    email: input.email,
    password: input.password,
    roles: ["owner"],
    instanceAdmin: account.slug === "default",
  });
}
