/**
 * @module templates/errors
 * The error thrown for a template that cannot be compiled (or, rarely,
 * rendered). It names the leaf, e.g. `body.total`, so a save-time check can
 * answer "400 ... at body.total".
 */

/** A template problem, with the path of the string leaf it concerns ("" for a bare string). */
export class TemplateError extends Error {
  /** Where in the template value the bad string sits, e.g. `body.items[0].name`. */
  readonly path: string;

  /**
   * @param message - what went wrong.
   * @param path - the leaf path; prefixed to the message when not empty.
   */
  constructor(message: string, path = "") {
    super(path ? `${path}: ${message}` : message);
    this.name = "TemplateError";
    this.path = path;
  }
}
