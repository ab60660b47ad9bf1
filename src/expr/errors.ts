/**
 * @module expr/errors
 * The one error type of the expression language. Every syntax, limit and
 * compile problem carries the 0-based offset into the source, so an admin UI
 * can underline the spot and an API can answer "400 ... at position 12".
 */

/** A syntax, limit or compile error in an expression, with the offset it concerns. */
export class ExprError extends Error {
  /** 0-based offset into the source the error points at. */
  readonly position: number;

  /**
   * @param message - what went wrong, without the position (it is appended).
   * @param position - 0-based offset into the source.
   */
  constructor(message: string, position: number) {
    super(`${message} at position ${position}`);
    this.name = "ExprError";
    this.position = position;
  }
}
