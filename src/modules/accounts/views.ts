/**
 * @module modules/accounts/views
 * Rows -> API shapes (snake_case, ISO times). A user view never carries the password hash.
 */
import type { AccountRow, UserRow } from "./store";

export const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

export function accountView(row: AccountRow) {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    plan: row.plan,
    credits: row.credits,
    active: row.active,
    ip_allowlist: row.ipAllowlist,
    created_at: iso(row.createdAt)!,
    updated_at: iso(row.updatedAt)!,
  };
}

export function userView(row: UserRow) {
  return {
    id: row.id,
    account_id: row.accountId,
    email: row.email,
    roles: row.roles,
    instance_admin: row.instanceAdmin,
    disabled: row.disabled,
    last_login_at: iso(row.lastLoginAt),
    created_at: iso(row.createdAt)!,
    updated_at: iso(row.updatedAt)!,
  };
}
