/**
 * @module modules/accounts/users-service
 * Users of an account, managed by its owners and admins. Admins cannot touch owners or grant
 * the owner role; only instance admins can change an instance admin (whose powers reach beyond the
 * account); an account always keeps at least one active owner.
 */
import { conflict, forbidden, notFound } from "../../http/errors";
import { newId } from "../../ids";
import type { Identity } from "../auth/identity";
import { isOwner, requireAccountAdmin } from "../auth/roles";
import { hashPassword, normalizeEmail } from "./passwords";
import type { UserCreate, UserPatch } from "./schemas";
import type { AccountsStore, UserRow } from "./store";

export interface UsersDeps {
  store: AccountsStore;
  /** Ends every session of a user (on disable or password change). */
  endSessions: (userId: string) => void;
  /** Drops cached identities so role and disable changes apply on the next request. */
  onChange: () => void;
}

export type UsersService = ReturnType<typeof createUsersService>;

export function createUsersService({ store, endSessions, onChange }: UsersDeps) {
  function visibleUser(caller: Identity, id: string): UserRow {
    const user = store.userById(id);
    if (!user || user.accountId !== caller.principal.account_id) throw notFound("User not found");
    return user;
  }

  return {
    /** Creates a user directly (no invite mail yet): CLI bootstrap uses it with no caller. */
    async createUnchecked(accountId: string, input: { email: string; password: string; roles: string[]; instanceAdmin?: boolean }) {
      const email = normalizeEmail(input.email);
      const passwordHash = await hashPassword(input.password);
      const now = Date.now();
      return store.transaction(() => {
        if (store.userByEmail(email)) throw conflict("A user with this email already exists", { field: "email" });
        return store.insertUser({
          id: newId("usr"),
          accountId,
          email,
          passwordHash,
          roles: input.roles,
          instanceAdmin: input.instanceAdmin ?? false,
          createdAt: now,
          updatedAt: now,
        });
      });
    },

    async create(caller: Identity, input: UserCreate) {
      requireAccountAdmin(caller);
      const roles = input.roles ?? ["member"];
      if (roles.includes("owner") && !isOwner(caller)) throw forbidden("Only owners can grant the owner role");
      return this.createUnchecked(caller.principal.account_id, { email: input.email, password: input.password, roles });
    },

    list(caller: Identity, limit: number, offset: number) {
      requireAccountAdmin(caller);
      return store.listUsers(caller.principal.account_id, limit, offset);
    },

    get(caller: Identity, id: string) {
      if (id !== caller.principal.user_id) requireAccountAdmin(caller);
      return visibleUser(caller, id);
    },

    async update(caller: Identity, id: string, patch: UserPatch) {
      requireAccountAdmin(caller);
      const target = visibleUser(caller, id);
      // An owner of the bootstrap account is not an instance admin: setting the instance admin's
      // password (or demoting or disabling them) would hand them the whole instance.
      if (target.instanceAdmin && !caller.instanceAdmin) throw forbidden("Only instance admins can change an instance admin");
      const targetIsOwner = target.roles.includes("owner");
      if (targetIsOwner && !isOwner(caller)) throw forbidden("Only owners can change an owner");
      if (patch.roles?.includes("owner") && !isOwner(caller)) throw forbidden("Only owners can grant the owner role");
      if (patch.disabled === true && id === caller.principal.user_id) throw conflict("You cannot disable yourself");
      const passwordHash = patch.password === undefined ? undefined : await hashPassword(patch.password);
      const losesOwner = targetIsOwner && (patch.disabled === true || (patch.roles !== undefined && !patch.roles.includes("owner")));
      const updated = store.transaction(() => {
        if (losesOwner && store.activeOwners(target.accountId).filter((u) => u.id !== id).length === 0) {
          throw conflict("An account must keep at least one active owner");
        }
        return store.updateUser(id, { roles: patch.roles, disabled: patch.disabled, passwordHash, updatedAt: Date.now() })!;
      });
      if (patch.disabled === true || passwordHash !== undefined) endSessions(id);
      onChange();
      return updated;
    },

    byEmail: (email: string) => store.userByEmail(normalizeEmail(email)),
    byId: (id: string) => store.userById(id),
    activeOwners: (accountId: string) => store.activeOwners(accountId),
    recordLogin: (id: string, at: number) => store.updateUser(id, { lastLoginAt: at }),
  };
}
