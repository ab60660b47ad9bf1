/**
 * @module modules/auth/roles
 * Who may do what inside an account. owner: everything; admin: users (but not owners) and
 * every key; anyone else (member or a custom role): their own keys. Instance admins manage
 * accounts and plans across the instance.
 */
import { forbidden } from "../../http/errors";
import type { Identity } from "./identity";

export const isOwner = (who: Identity) => who.principal.roles.includes("owner");
export const isAccountAdmin = (who: Identity) => isOwner(who) || who.principal.roles.includes("admin");

export function requireAccountAdmin(who: Identity): void {
  if (!isAccountAdmin(who)) throw forbidden("Only owners and admins can do this");
}

export function requireOwner(who: Identity): void {
  if (!isOwner(who)) throw forbidden("Only owners can do this");
}

export function requireInstanceAdmin(who: Identity): void {
  if (!who.instanceAdmin) throw forbidden("Only instance admins can do this");
}
