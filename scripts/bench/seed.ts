/**
 * In-process work of the bench on a data dir, done with the product's own services (no HTTP;
 * `createServices` builds the same collections and records services the server runs):
 * prepare it before the server starts (migrate, bootstrap owner, collections, seed records), and
 * measure the indexed `query_records` path over many records (scenario 6) after it stopped.
 *
 * Records are `{customer_id: "c_<i % customers>", total, status}` with 10 records per customer;
 * `orders` has an index on customer_id, as the query scenario's filter needs.
 */
import { join } from "node:path";
import { loadConfig } from "../../src/config";
import { migrate } from "../../src/db/migrate";
import { DATABASE_FILE, openDatabase, type Database } from "../../src/db/open";
import { createLogger } from "../../src/log";
import { bootstrap } from "../../src/modules/accounts/bootstrap";
import type { Identity } from "../../src/modules/auth/identity";
import type { RecordsService } from "../../src/modules/collections/records-service";
import type { CollectionsService } from "../../src/modules/collections/service";
import { createRecordsCapability } from "../../src/modules/endpoints/records-capability";
import { createServices } from "../../src/services";
import { renderTemplate } from "../../src/templates";
import { customerId, RECORDS_PER_CUSTOMER } from "./baseline";

export const ADMIN = { email: "bench@example.com", password: "bench password 12345" };
export const QUERY_COLLECTION = "orders";
export const CREATE_COLLECTION = "events";
export const BIG_COLLECTION = "orders_big";
/** The filter of the query scenario, exactly as the endpoint's query_records action has it. */
export const QUERY_FILTER = "customer_id = '{{request.params.customer_id}}'";

const ORDER_FIELDS = [
  { name: "customer_id", type: "text", required: true },
  { name: "total", type: "number" },
  { name: "status", type: "text" },
] as const;

interface Opened {
  db: Database;
  services: ReturnType<typeof createServices>;
  collections: CollectionsService;
  records: RecordsService;
  owner: Identity;
  accountId: string;
  close(): void;
}

async function open(dataDir: string): Promise<Opened> {
  const config = loadConfig({ "data-dir": dataDir }, {});
  const db = openDatabase(join(dataDir, DATABASE_FILE));
  migrate(db.sqlite);
  const logger = createLogger({ format: "json", write: () => {} });
  const services = createServices({ config, db, logger });
  await bootstrap({ ...services, logger, adminEmail: ADMIN.email, adminPassword: ADMIN.password });
  const { token } = await services.auth.login(ADMIN.email, ADMIN.password, "127.0.0.1");
  const owner = services.access.authenticate(`Bearer ${token}`);
  return {
    db,
    services,
    collections: services.collections,
    records: services.records,
    owner,
    accountId: owner.principal.account_id,
    close() {
      services.close();
      db.close();
    },
  };
}

function ensureCollection(o: Opened, name: string, indexed: boolean) {
  try {
    o.collections.byName(o.accountId, name);
  } catch {
    o.collections.create(o.owner, { name, fields: ORDER_FIELDS.map((f) => ({ ...f })), indexes: indexed ? [{ fields: ["customer_id"] }] : [] });
  }
}

/** Adds records until the collection holds `total` (in transactions of 5,000); returns the seconds it took. */
function seed(o: Opened, collection: string, total: number): number {
  const started = performance.now();
  const customers = Math.max(1, Math.floor(total / RECORDS_PER_CUSTOMER));
  const have = o.records.list(o.accountId, collection, { limit: 1 }).meta as { total?: number };
  for (let from = have.total ?? 0; from < total; from += 5000) {
    const batch = [];
    for (let i = from; i < Math.min(total, from + 5000); i++) batch.push({ customer_id: customerId(i % customers), total: i % 1000, status: "open" });
    o.records.createMany(o.accountId, collection, batch);
  }
  o.db.sqlite.run("ANALYZE");
  return (performance.now() - started) / 1000;
}

/** Migrates the data dir, creates the owner, the collections and `records` orders. */
export async function prepareBenchDir(dataDir: string, records: number): Promise<{ seedS: number }> {
  const o = await open(dataDir);
  try {
    ensureCollection(o, QUERY_COLLECTION, true);
    ensureCollection(o, CREATE_COLLECTION, false);
    return { seedS: seed(o, QUERY_COLLECTION, records) };
  } finally {
    o.close();
  }
}

export interface InProcessResult {
  records: number;
  queries: number;
  medianMs: number;
  p99Ms: number;
  seedS: number;
  plan: string[];
}

/**
 * Scenario 6: `records` records in a collection indexed on customer_id, then `queries` random
 * indexed equality queries (limit 10) through the records capability exactly as query_records
 * calls it (filter compile cache, literal rendering by the template engine, page + total).
 */
export async function measureIndexedQuery(dataDir: string, records: number, queries: number): Promise<InProcessResult> {
  const o = await open(dataDir);
  try {
    ensureCollection(o, BIG_COLLECTION, true);
    const seedS = seed(o, BIG_COLLECTION, records);
    const customers = Math.max(1, Math.floor(records / RECORDS_PER_CUSTOMER));
    const plan = o.records.explain(o.accountId, BIG_COLLECTION, {
      filter: { source: QUERY_FILTER, renderLiteral: (raw) => renderTemplate(raw, { request: { params: { customer_id: customerId(1) } } }) },
      limit: 10,
    });
    const once = async (customer: string) => {
      const data = { request: { params: { customer_id: customer } }, actions: [] };
      const capability = createRecordsCapability(o.records, o.accountId, (raw) => renderTemplate(raw, data));
      const started = performance.now();
      const rows = await capability.query(BIG_COLLECTION, { filter: QUERY_FILTER, limit: 10 });
      const ms = performance.now() - started;
      if (rows.length === 0) throw new Error(`no records for ${customer}`);
      return ms;
    };
    let x = 12345;
    const nextCustomer = () => customerId((x = (x * 1103515245 + 12345) % 2147483648) % customers);
    for (let i = 0; i < 200; i++) await once(nextCustomer());
    const times: number[] = [];
    for (let i = 0; i < queries; i++) times.push(await once(nextCustomer()));
    times.sort((a, b) => a - b);
    return {
      records,
      queries,
      medianMs: times[Math.floor(times.length / 2)]!,
      p99Ms: times[Math.min(times.length - 1, Math.floor(times.length * 0.99))]!,
      seedS,
      plan,
    };
  } finally {
    o.close();
  }
}
