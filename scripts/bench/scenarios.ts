/**
 * The echo scenario's endpoint and call, shared by the load bench (index.ts) and the instruction
 * count (instructions.ts), so both measure the same work.
 */

/** Where the bench account's endpoints answer (`default` is the bootstrap account's slug). */
export const BASE = "/api/v1/x/default/bench";
export const ECHO_BODY = JSON.stringify({ msg: "hello", n: 1 });

/** Scenario 1: API key auth + condition + one transform + response template. */
export const echoEndpoint = (path: string, history: "all" | "none") => ({
  name: `bench echo (history ${history})`,
  path,
  method: "POST",
  auth_required: true,
  condition: "@is_authenticated() and request.body.n >= 0",
  actions: [{ type: "transform", config: { template: { echo: "{{request.body.msg}}", n: "{{request.body.n}}" } } }],
  response_template: { status: 200, body: "{{actions[0].result}}" },
  history,
});
