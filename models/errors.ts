/**
 * Errors raised by `models/`. `models/` may not import `pipeline/` (import direction is
 * api → pipeline → models), so it carries its own small error class with a stable `code`;
 * `pipeline/` can wrap or map it onto its `AppError` hierarchy.
 */
export type ModelErrorCode = 'artifact_invalid' | 'input_invalid' | 'not_fitted';

export class ModelError extends Error {
  readonly code: ModelErrorCode;
  constructor(code: ModelErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
