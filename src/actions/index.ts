/**
 * @module actions
 * The built-in actions, each written against the public plugin API only, exactly as a plugin
 * file would be. The host registers them with source "builtin" before loading plugin files.
 */
import type { PluginDefinition } from "../plugin-api";
import { aggregateRecords } from "./aggregate-records";
import { createRecord } from "./create-record";
import { deleteRecord } from "./delete-record";
import { queryRecords } from "./query-records";
import { transform } from "./transform";
import { updateRecord } from "./update-record";

/** Every built-in action definition (send_webhook, mail... join as they are written). */
export const BUILTIN_ACTIONS: PluginDefinition[] = [transform, createRecord, updateRecord, deleteRecord, queryRecords, aggregateRecords];
