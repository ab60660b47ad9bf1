/**
 * @module modules/accounts/service
 * Accounts: the bootstrap account, instance-admin management, and credits.
 */
import { AppError, badRequest, conflict, notFound } from "../../http/errors";
import { allowlistFromInput } from "../../http/ip-allowlist";
import type { RateLimitWindowLimits } from "../../http/rate-limit";
import { newId } from "../../ids";
import type { Identity } from "../auth/identity";
import { requireInstanceAdmin, requireOwner } from "../auth/roles";
import type { AccountCreate, AccountPatch } from "./schemas";
import type { AccountRow, AccountsStore } from "./store";
import { hashPassword, normalizeEmail } from "./passwords";

/** Slug of the account created on first start (DESIGN.md). */
export const BOOTSTRAP_SLUG = "default";

export interface AccountsDeps {
  store: AccountsStore;
  plans: Record<string, RateLimitWindowLimits>;
  defaultPlan: string;
  /** Drops cached identities: an account change (plan, active, allowlist) must apply at once. */
  onChange: () => void;
}

export type AccountsService = ReturnType<typeof createAccountsService>;

export function createAccountsService({ store, plans, defaultPlan, onChange: notify }: AccountsDeps) {
  // What dispatch needs per call, by slug. Only whether credits are null matters here (spending
  // itself is an atomic UPDATE), so the cache holds until an account changes.
  const dispatchCache = new Map<string, ReturnType<AccountsStore["dispatchInfo"]>>();
  const onChange = () => {
    dispatchCache.clear();
    notify();
  };
  const checkPlan = (plan: string) => {
    if (!Object.hasOwn(plans, plan)) throw badRequest(`Unknown plan "${plan}"`, { field: "plan", plans: Object.keys(plans) });
  };
  const checkCidrs = (list: string[] | undefined) => (list === undefined ? undefined : allowlistFromInput(list));
  const mustFind = (id: string) => {
    const row = store.accountById(id);
    if (!row) throw notFound("Account not found");
    return row;
  };

  function applyPatch(caller: Identity, account: AccountRow, patch: AccountPatch): AccountRow {
    const adminFields = (["plan", "credits", "active", "ip_allowlist"] as const).filter((f) => patch[f] !== undefined);
    if (adminFields.length) requireInstanceAdmin(caller);
    if (patch.name !== undefined && !caller.instanceAdmin) requireOwner(caller);
    if (patch.plan !== undefined) checkPlan(patch.plan);
    if (patch.active === false && account.id === caller.principal.account_id) {
      throw conflict("You cannot disable the account you are signed in with");
    }
    const updated = store.updateAccount(account.id, {
      name: patch.name,
      plan: patch.plan,
      credits: patch.credits,
      active: patch.active,
      ipAllowlist: checkCidrs(patch.ip_allowlist),
      updatedAt: Date.now(),
    })!;
    onChange();
    return updated;
  }

  return {
    /** Creates the `default` account when missing (unlimited plan: it is the instance owner's own). */
    ensureBootstrapAccount(): AccountRow {
      const existing = store.accountBySlug(BOOTSTRAP_SLUG);
      if (existing) return existing;
      const now = Date.now();
      const plan = Object.hasOwn(plans, "unlimited") ? "unlimited" : defaultPlan;
      return store.insertAccount({ id: newId("acc"), slug: BOOTSTRAP_SLUG, name: "Default", plan, createdAt: now, updatedAt: now });
    },

    bySlug: (slug: string) => store.accountBySlug(slug),
    dispatchInfo(slug: string) {
      if (dispatchCache.has(slug)) return dispatchCache.get(slug);
      const info = store.dispatchInfo(slug);
      if (dispatchCache.size >= 10_000) dispatchCache.clear();
      // Unknown slugs are not cached: a flood of random slugs must not grow the map.
      if (info) dispatchCache.set(slug, info);
      return info;
    },
    get: (id: string) => mustFind(id),

    async create(caller: Identity, input: AccountCreate) {
      requireInstanceAdmin(caller);
      const plan = input.plan ?? defaultPlan;
      checkPlan(plan);
      const ipAllowlist = checkCidrs(input.ip_allowlist) ?? [];
      const email = normalizeEmail(input.owner.email);
      const passwordHash = await hashPassword(input.owner.password);
      const now = Date.now();
      return store.transaction(() => {
        if (store.accountBySlug(input.slug)) throw conflict(`Account slug "${input.slug}" is taken`, { field: "slug" });
        if (store.userByEmail(email)) throw conflict("A user with this email already exists", { field: "owner.email" });
        const account = store.insertAccount({
          id: newId("acc"),
          slug: input.slug,
          name: input.name ?? input.slug,
          plan,
          credits: input.credits ?? null,
          ipAllowlist,
          createdAt: now,
          updatedAt: now,
        });
        const owner = store.insertUser({
          id: newId("usr"),
          accountId: account.id,
          email,
          passwordHash,
          roles: ["owner"],
          createdAt: now,
          updatedAt: now,
        });
        return { account, owner };
      });
    },

    list(caller: Identity, limit: number, offset: number) {
      requireInstanceAdmin(caller);
      return store.listAccounts(limit, offset);
    },

    /** PATCH /account: owners rename; instance admins also set plan, credits, active, ip_allowlist. */
    updateOwn: (caller: Identity, patch: AccountPatch) => applyPatch(caller, mustFind(caller.principal.account_id), patch),

    /** PATCH /accounts/:id, for instance admins. */
    updateById(caller: Identity, id: string, patch: AccountPatch) {
      requireInstanceAdmin(caller);
      return applyPatch(caller, mustFind(id), patch);
    },

    /**
     * Takes `cost` credits atomically before a call runs; 402 when the account holds too few.
     * Returns the balance left (null = unlimited).
     */
    spendCredits(accountId: string, cost: number): number | null {
      const left = store.spendCredits(accountId, cost);
      if (left === false) {
        throw new AppError("INSUFFICIENT_CREDITS", `This call costs ${cost} credit(s) and the account has too few`, {
          details: { cost },
        });
      }
      return left;
    },
  };
}
