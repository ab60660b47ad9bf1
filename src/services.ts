/**
 * @module services
 * Builds every domain service once per process from the config and the database, wiring the
 * callbacks between them (a revoke or disable drops the identity cache). `createApp` mounts
 * their routes; tests build them directly to reach what has no route (credits, usage flush).
 */
import type { AppDeps } from "./app";
import { createClientIpResolver } from "./http/client-ip";
import { createMemoryRateLimiter } from "./http/rate-limit";
import { createAccountsService } from "./modules/accounts/service";
import { createAccountsStore } from "./modules/accounts/store";
import { createUsersService } from "./modules/accounts/users-service";
import { createAccess } from "./modules/auth/access";
import { createAuthService } from "./modules/auth/service";
import { createAuthStore } from "./modules/auth/store";
import { createKeysService } from "./modules/keys/service";
import { createKeysStore } from "./modules/keys/store";
import { createUsageRecorder } from "./modules/keys/usage";

export type Services = ReturnType<typeof createServices>;

export function createServices({ config, db, logger }: AppDeps) {
  const accountsStore = createAccountsStore(db);
  const keysStore = createKeysStore(db);
  const authStore = createAuthStore(db);
  const limiter = createMemoryRateLimiter();
  const usage = createUsageRecorder(keysStore, logger);
  const access = createAccess({ store: authStore, usage, limiter, plans: config.plans });
  const onChange = () => access.invalidate();

  const accounts = createAccountsService({ store: accountsStore, plans: config.plans, defaultPlan: config.defaultPlan, onChange });
  const keys = createKeysService({ store: keysStore, usage, plans: config.plans, maxActivePerAccount: config.maxKeysPerAccount, onChange });
  let auth: ReturnType<typeof createAuthService>;
  const users = createUsersService({ store: accountsStore, endSessions: (id) => auth.endSessions(id), onChange });
  auth = createAuthService({
    sessions: authStore,
    users,
    accounts,
    limiter,
    sessionTtlMs: config.sessionTtlMs,
    loginAttemptsPerMinute: config.loginAttemptsPerMinute,
    onChange,
  });

  return {
    accounts,
    users,
    keys,
    auth,
    access,
    limiter,
    usage,
    clientIps: createClientIpResolver(config.trustProxy),
    /** Flushes batched writes and stops timers; called when the server stops. */
    close() {
      usage.stop();
    },
  };
}
