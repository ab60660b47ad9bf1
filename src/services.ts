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
import { BUILTIN_ACTIONS } from "./actions";
import { createHttpCapability } from "./engine/outbound-http";
import { createDispatcher } from "./modules/endpoints/dispatch";
import { createEndpointsService } from "./modules/endpoints/service";
import { createEndpointsStore } from "./modules/endpoints/store";
import { historyPathFor, moveLegacyExecutions, openHistoryDatabase } from "./db/history";
import { chunkRecordsFor } from "./modules/executions/chunks";
import { withEndpointCap } from "./modules/executions/history-cap";
import { createHistoryThread } from "./modules/executions/history-thread";
import { createExecutionRecorder } from "./modules/executions/recorder";
import { createRetention } from "./modules/executions/retention";
import { createExecutionsStore } from "./modules/executions/store";
import { createPluginRegistry } from "./modules/plugins/registry";
import { createCollectionsService } from "./modules/collections/service";
import { createCollectionsStore } from "./modules/collections/store";
import { createRecordsReader } from "./modules/collections/reader-thread";
import { createRecordsService } from "./modules/collections/records-service";

export type Services = ReturnType<typeof createServices>;

export function createServices({ config, db, logger }: AppDeps) {
  const accountsStore = createAccountsStore(db);
  const keysStore = createKeysStore(db);
  const authStore = createAuthStore(db);
  const limiter = createMemoryRateLimiter();
  const clientIps = createClientIpResolver(config.trustProxy);
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

  const registry = createPluginRegistry();
  for (const action of BUILTIN_ACTIONS) registry.register(action, "builtin");

  const endpointsStore = createEndpointsStore(db);
  const endpoints = createEndpointsService({
    store: endpointsStore,
    registry,
    logger,
    maxPerAccount: config.maxEndpointsPerAccount,
    maxBodyLimitBytes: config.bodyLimitBytes,
  });
  const collectionsStore = createCollectionsStore(db);
  const collections = createCollectionsService({ store: collectionsStore, inUse: endpoints.usingCollection });
  // A file database can be read from another thread; `:memory:` is this connection's alone.
  const reader = config.readerThread && db.path !== ":memory:" ? createRecordsReader(db.path, logger) : undefined;
  const records = createRecordsService({ store: collectionsStore, collections, reader });
  const historyDb = openHistoryDatabase(historyPathFor(db.path), { synchronous: config.dbSynchronous });
  const moved = moveLegacyExecutions(db, historyDb);
  if (moved > 0) logger.info("moved execution history to its own database", { records: moved, file: historyDb.path });
  const executionsStore = createExecutionsStore(historyDb, { maxChunkRecords: chunkRecordsFor(config.historyMaxPerEndpoint) });
  // Small, frequent batches: written in this thread (SWITCHBOARD_HISTORY_THREAD=false), a big one
  // (redaction, truncation, insert) stalls the event loop and shows up in every request's p99.
  const historyWrites = { maxBatch: 100, maxResultBytes: 4096 };
  // Each endpoint's history is held to its cap as it is written, in whichever thread writes it;
  // here, in the request thread, by trims of at most 200 rows (~1 ms), like its small batches.
  const historyTarget = withEndpointCap(executionsStore, config.historyMaxPerEndpoint, 200);
  const recorder = createExecutionRecorder(
    historyTarget,
    logger,
    config.historyThread && historyDb.path !== ":memory:"
      ? {
          sink: createHistoryThread(historyTarget, logger, {
            path: historyDb.path,
            synchronous: config.dbSynchronous,
            maxPerEndpoint: config.historyMaxPerEndpoint,
            ...historyWrites,
          }),
        }
      : { flushIntervalMs: 50, ...historyWrites },
  );
  const retention = createRetention(executionsStore, logger, { maxAgeMs: config.historyMaxAgeMs, maxPerEndpoint: config.historyMaxPerEndpoint });
  const dispatch = createDispatcher({
    endpoints,
    store: endpointsStore,
    accounts,
    access,
    clientIps,
    recorder,
    records,
    createHttp: (signal) => createHttpCapability({ allowPrivate: config.outboundAllowPrivate, signal }),
    logger,
    bodyLimitBytes: config.bodyLimitBytes,
    idempotencyTtlMs: config.idempotencyTtlMs,
  });

  let purgeTimer: ReturnType<typeof setInterval> | undefined;

  return {
    accounts,
    registry,
    endpoints,
    endpointsStore,
    collections,
    records,
    /** The execution history's own database (db/history.ts). */
    historyDb,
    executionsStore,
    recorder,
    retention,
    dispatch,
    users,
    keys,
    auth,
    access,
    limiter,
    usage,
    clientIps,
    /** Starts background work (history retention, expired Idempotency-Keys); `serve` calls it. */
    start() {
      retention.start();
      purgeTimer ??= setInterval(() => endpointsStore.purgeExpiredIdempotencyKeys(Date.now()), 60_000);
      purgeTimer.unref?.();
    },
    /** Flushes batched writes and stops timers; called when the server stops. */
    close() {
      if (purgeTimer) clearInterval(purgeTimer);
      retention.stop();
      recorder.stop();
      reader?.close();
      usage.stop();
      historyDb.close();
    },
  };
}
