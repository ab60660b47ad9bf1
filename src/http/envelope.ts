/**
 * @module http/envelope
 * The wire shape of management answers: `{success, data, meta}` or `{success:false, error}`.
 */
import { t, type TSchema } from "elysia";
import type { AppError } from "./errors";

export type Meta = Record<string, unknown>;

/** A successful management answer. */
export function ok<T>(data: T, meta: Meta = {}) {
  return { success: true as const, data, meta };
}

/** The error body for an AppError; `details` only when there are some. */
export function errorBody(error: AppError) {
  // Built as one literal (details left undefined drops out of the JSON): refusals are a hot path.
  return {
    success: false as const,
    error: { code: error.code, message: error.message, details: error.details },
  };
}

// The JSON of shared, frozen refusals (an unknown token's 401): made once, not per refused call.
const frozenJson = new WeakMap<AppError, string>();

/** `errorBody` as JSON text. */
export function errorJson(error: AppError): string {
  if (!Object.isFrozen(error)) return JSON.stringify(errorBody(error));
  let json = frozenJson.get(error);
  if (json === undefined) frozenJson.set(error, (json = JSON.stringify(errorBody(error))));
  return json;
}

/** TypeBox schema of a successful answer wrapping `data`, for OpenAPI. */
export const Envelope = <T extends TSchema>(data: T, meta: TSchema = t.Record(t.String(), t.Unknown())) =>
  t.Object({ success: t.Literal(true), data, meta });

/** TypeBox schema of the error answer, published once in OpenAPI. */
export const ErrorEnvelope = t.Object({
  success: t.Literal(false),
  error: t.Object({
    code: t.String(),
    message: t.String(),
    details: t.Optional(t.Record(t.String(), t.Unknown())),
  }),
});
