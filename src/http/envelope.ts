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

// The JSON of shared refusals, made once rather than per refused call.
const sharedJson = new WeakMap<AppError, string>();

/**
 * Makes `error` a refusal many calls may share (an unknown token's 401): frozen, so no one can
 * change it, and its JSON made now. A flood of such calls then builds neither error nor JSON.
 */
export function shareRefusal(error: AppError): Readonly<AppError> {
  Object.freeze(error);
  sharedJson.set(error, JSON.stringify(errorBody(error)));
  return error;
}

/** `errorBody` as JSON text. */
export function errorJson(error: AppError): string {
  return sharedJson.get(error) ?? JSON.stringify(errorBody(error));
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
