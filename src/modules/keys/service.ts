/**
 * @module modules/keys/service
 * API keys: `sb_` + 32 base62 characters, shown once at creation, stored only as SHA-256.
 * Members manage their own keys; owners and admins every key of the account.
 */
import { badRequest, conflict, forbidden, notFound } from "../../http/errors";
import { allowlistFromInput } from "../../http/ip-allowlist";
import type { RateLimitWindowLimits } from "../../http/rate-limit";
import { newId } from "../../ids";
import type { Scope } from "../../principal";
import { randomBase62, sha256Hex } from "../../secrets";
import { iso } from "../accounts/views";
import type { Identity } from "../auth/identity";
import { isAccountAdmin } from "../auth/roles";
import type { KeyCreate } from "./schemas";
import type { KeyRow, KeysStore } from "./store";
import type { UsageRecorder } from "./usage";

/** Visible characters of a key kept for lists: `sb_` plus six. */
const PREFIX_LENGTH = 9;

export interface KeysDeps {
  store: KeysStore;
  usage: UsageRecorder;
  plans: Record<string, RateLimitWindowLimits>;
  maxActivePerAccount: number;
  /** Drops cached identities so a revoke applies on the very next request. */
  onChange: () => void;
}

export type KeysService = ReturnType<typeof createKeysService>;

/** Creates a new key secret. */
export const generateApiKey = () => `sb_${randomBase62(32)}`;

export function createKeysService({ store, usage, plans, maxActivePerAccount, onChange }: KeysDeps) {
  function view(row: KeyRow) {
    const pending = usage.pendingFor(row.id);
    const lastUsed = pending !== undefined && pending > (row.lastUsedAt ?? 0) ? pending : row.lastUsedAt;
    return {
      id: row.id,
      name: row.name,
      prefix: row.prefix,
      user_id: row.userId,
      scopes: row.scopes,
      ip_allowlist: row.ipAllowlist,
      plan: row.plan,
      remaining: row.remaining,
      refill: row.refillAmount !== null && row.refillInterval !== null ? { amount: row.refillAmount, interval: row.refillInterval } : null,
      created_at: iso(row.createdAt)!,
      last_used_at: iso(lastUsed),
      expires_at: iso(row.expiresAt),
      revoked_at: iso(row.revokedAt),
    };
  }

  /** A key may lower its limits below the account's plan; raising them is for instance admins. */
  function checkPlanOverride(caller: Identity, plan: string, accountPlan: string) {
    const wanted = plans[plan];
    if (!Object.hasOwn(plans, plan) || !wanted) throw badRequest(`Unknown plan "${plan}"`, { field: "plan" });
    if (caller.instanceAdmin) return;
    const current = plans[accountPlan] ?? { perMinute: null, perDay: null };
    const notAbove = (a: number | null, b: number | null) => b === null || (a !== null && a <= b);
    if (!notAbove(wanted.perMinute, current.perMinute) || !notAbove(wanted.perDay, current.perDay)) {
      throw forbidden("Only instance admins can give a key a plan above the account's");
    }
  }

  return {
    view,

    /** Creates a key acting as `userId` (the caller, or the owner for the CLI); returns it with its secret. */
    create(owner: { accountId: string; userId: string; accountPlan: string }, input: KeyCreate, caller?: Identity) {
      const now = Date.now();
      const expiresAt = parseExpiry(input.expires_at, now);
      if (input.plan !== undefined && caller) checkPlanOverride(caller, input.plan, owner.accountPlan);
      if (input.refill && input.remaining === undefined) throw badRequest("refill needs remaining", { field: "refill" });
      const ipAllowlist = allowlistFromInput(input.ip_allowlist ?? []);
      const secret = generateApiKey();
      const row = store.insertIfUnderLimit(
        {
          id: newId("key"),
          accountId: owner.accountId,
          userId: owner.userId,
          name: input.name,
          prefix: secret.slice(0, PREFIX_LENGTH),
          keyHash: sha256Hex(secret),
          scopes: (input.scopes ?? ["manage", "invoke"]) satisfies Scope[],
          ipAllowlist,
          plan: input.plan ?? null,
          expiresAt,
          remaining: input.remaining ?? null,
          refillAmount: input.refill?.amount ?? null,
          refillInterval: input.refill?.interval ?? null,
          refilledAt: input.refill ? now : null,
          createdAt: now,
          updatedAt: now,
        },
        maxActivePerAccount,
        now,
      );
      if (!row) {
        throw conflict(`An account can have at most ${maxActivePerAccount} active API keys; revoke one first`, {
          limit: maxActivePerAccount,
        });
      }
      return { ...view(row), key: secret };
    },

    list(caller: Identity, limit: number, offset: number) {
      const mine = isAccountAdmin(caller) ? null : caller.principal.user_id;
      const { rows, total } = store.listKeys(caller.principal.account_id, mine, limit, offset);
      return { rows: rows.map(view), total };
    },

    get(caller: Identity, id: string) {
      return view(visibleKey(caller, id));
    },

    /** Revokes at once: the cache is dropped, so the very next request with the key fails. */
    revoke(caller: Identity, id: string) {
      visibleKey(caller, id);
      const row = store.revoke(id, Date.now())!;
      onChange();
      return view(row);
    },
  };

  function visibleKey(caller: Identity, id: string): KeyRow {
    const row = store.keyById(id);
    const visible =
      row && row.accountId === caller.principal.account_id && (isAccountAdmin(caller) || row.userId === caller.principal.user_id);
    if (!visible) throw notFound("API key not found");
    return row;
  }
}

function parseExpiry(value: string | number | null | undefined, now: number): number | null {
  if (value === undefined || value === null) return null;
  const ms = typeof value === "number" ? value : Date.parse(value);
  if (!Number.isFinite(ms)) throw badRequest("expires_at is not a valid time", { field: "expires_at" });
  if (ms <= now) throw badRequest("expires_at must be in the future", { field: "expires_at" });
  return ms;
}
