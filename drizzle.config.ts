import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes SQL migrations here, then embeds them (scripts/embed-migrations.ts).
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema/index.ts",
  out: "./src/db/migrations",
});
