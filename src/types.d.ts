// SQL migration files are imported as text so they are embedded in the compiled binary.
declare module "*.sql" {
  const text: string;
  export default text;
}

// Files embedded with `with { type: "file" }` resolve to a path that Bun.file can read,
// both from source and inside the compiled binary.
declare module "swagger-ui-dist/*" {
  const path: string;
  export default path;
}
