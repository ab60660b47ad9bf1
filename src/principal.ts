/**
 * @module principal
 * Who is calling: the one shape a session token and an API key both resolve to
 * (DESIGN.md, Identity). Actions, conditions and templates see this and nothing more.
 */

export interface Principal {
  account_id: string;
  user_id: string;
  email: string;
  roles: string[];
  /** Set when the caller used an API key rather than a session. */
  key_id?: string;
}

/** `manage`: the management API (runs included); `invoke`: custom endpoints. */
export type Scope = "manage" | "invoke";
export const SCOPES: readonly Scope[] = ["manage", "invoke"];
