/**
 * @module modules/keys/usage
 * last_used_at without a database write per request: uses are noted in memory (one map entry per
 * key, the latest time wins) and written in one transaction every few seconds and at shutdown.
 */
import type { Logger } from "../../log";
import type { KeysStore } from "./store";

export interface UsageRecorder {
  record(keyId: string, at: number): void;
  /** A use noted but not yet written, so lists can show it before the next flush. */
  pendingFor(keyId: string): number | undefined;
  /** Writes what was noted since the last flush; called by the timer and at shutdown. */
  flush(): void;
  stop(): void;
}

export function createUsageRecorder(store: KeysStore, logger: Logger, intervalMs = 5000): UsageRecorder {
  let pending = new Map<string, number>();
  const flush = () => {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    try {
      store.touchLastUsed([...batch]);
    } catch (error) {
      // Keep the newest times for the next try rather than losing them.
      for (const [id, at] of batch) if ((pending.get(id) ?? 0) < at) pending.set(id, at);
      logger.warn("could not record key usage", { error: String(error) });
    }
  };
  const timer = setInterval(flush, intervalMs);
  timer.unref?.();
  return {
    record(keyId, at) {
      pending.set(keyId, at);
    },
    pendingFor: (keyId) => pending.get(keyId),
    flush,
    stop() {
      clearInterval(timer);
      flush();
    },
  };
}
