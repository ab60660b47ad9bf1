/**
 * @module modules/endpoints/records-capability
 * `ctx.records` for one run: the records service scoped to the caller's account, with filter
 * literals rendered from the run's data. Client-facing errors of the service become
 * ActionErrors with the same code, so a bad filter or a missing record answers 400/404, not 500.
 */
import { AppError } from "../../http/errors";
import { ActionError, type ActionErrorCode, type RecordData, type RecordsCapability } from "../../plugin-api";
import type { RecordsService } from "../collections/records-service";

const PASSED_THROUGH = new Set<string>(["VALIDATION_ERROR", "NOT_FOUND", "CONFLICT", "FORBIDDEN", "PAYLOAD_TOO_LARGE"]);

export function createRecordsCapability(records: RecordsService, accountId: string, renderLiteral: (raw: string) => unknown): RecordsCapability {
  const filter = (source: string | undefined) => (source === undefined || source.trim() === "" ? undefined : { source, renderLiteral });
  const guard = <T>(fn: () => T | Promise<T>): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (error) {
      if (error instanceof AppError) {
        const code = (PASSED_THROUGH.has(error.code) ? (error.code === "PAYLOAD_TOO_LARGE" ? "VALIDATION_ERROR" : error.code) : "INTERNAL_ERROR") as ActionErrorCode;
        return Promise.reject(new ActionError(code, error.message, error.details));
      }
      return Promise.reject(error);
    }
  };
  const asRecord = (value: unknown) => value as RecordData;

  return {
    create: (collection, data) => guard(() => asRecord(records.create(accountId, collection, data))),
    get: (collection, id) => guard(() => asRecord(records.get(accountId, collection, id))),
    update: (collection, target, data, options) =>
      guard(() =>
        "id" in target
          ? asRecord(records.update(accountId, collection, target.id, data))
          : (records.updateWhere(accountId, collection, filter(target.filter)!, data, { allowMany: options?.allowMany }) as { updated: number; records: RecordData[] }),
      ),
    delete: (collection, target, options) =>
      guard(() => {
        if ("id" in target) {
          records.remove(accountId, collection, target.id);
          return { deleted: 1 };
        }
        return records.removeWhere(accountId, collection, filter(target.filter)!, { allowMany: options?.allowMany });
      }),
    query: (collection, options = {}) =>
      guard(() => records.select(accountId, collection, { filter: filter(options.filter), sort: options.sort, limit: options.limit, offset: options.offset }) as RecordData[] | Promise<RecordData[]>),
    aggregate: (collection, options) =>
      guard(() => records.aggregate(accountId, collection, { function: options.function, field: options.field, filter: filter(options.filter), group_by: options.groupBy })),
  };
}
