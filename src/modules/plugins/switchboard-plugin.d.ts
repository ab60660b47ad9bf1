// Types of the virtual module `switchboard/plugin` (registered at run time by virtual-module.ts)
// for tsc and editors: exactly the exports of src/plugin-api.ts. An ambient module cannot
// re-export a relative path, hence one alias per export; keep the list in step with plugin-api.ts
// (virtual-module.test.ts compares the runtime exports).
declare module "switchboard/plugin" {
  type Api = typeof import("../../plugin-api");
  export const t: Api["t"];
  export const definePlugin: Api["definePlugin"];
  export const ActionError: Api["ActionError"];
  export type ActionError = import("../../plugin-api").ActionError;
  export type Static<T extends TSchema, P extends unknown[] = []> = import("../../plugin-api").Static<T, P>;
  export type TSchema = import("../../plugin-api").TSchema;
  export type ActionRequest = import("../../plugin-api").ActionRequest;
  export type ActionLogger = import("../../plugin-api").ActionLogger;
  export type OutboundRequest = import("../../plugin-api").OutboundRequest;
  export type OutboundResponse = import("../../plugin-api").OutboundResponse;
  export type HttpCapability = import("../../plugin-api").HttpCapability;
  export type RecordData = import("../../plugin-api").RecordData;
  export type RecordTarget = import("../../plugin-api").RecordTarget;
  export type RecordsCapability = import("../../plugin-api").RecordsCapability;
  export type ActionContext = import("../../plugin-api").ActionContext;
  export type ActionErrorCode = import("../../plugin-api").ActionErrorCode;
  export type PluginDefinition<S extends TSchema = TSchema> = import("../../plugin-api").PluginDefinition<S>;
}
