/**
 * Domain errors. Verbs throw these; each boundary (route handler, server action, page) maps them
 * once to its own shape: HTTP status + `{ error: { code, message } }`, or an action result.
 */
export class DomainError extends Error {
  readonly status: number = 400;
  readonly code: string = "BAD_REQUEST";
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends DomainError {
  override readonly status = 400;
  override readonly code: string = "VALIDATION_ERROR";
  constructor(
    message: string,
    readonly fieldErrors: Record<string, string> = {},
  ) {
    super(message);
  }
}

export class UnauthenticatedError extends DomainError {
  override readonly status = 401;
  override readonly code = "UNAUTHENTICATED";
}

export class ForbiddenError extends DomainError {
  override readonly status = 403;
  override readonly code = "FORBIDDEN";
}

export class NotFoundError extends DomainError {
  override readonly status = 404;
  override readonly code = "NOT_FOUND";
}

export class ConflictError extends DomainError {
  override readonly status = 409;
  override readonly code: string = "CONFLICT";
}

export class TooManyRequestsError extends DomainError {
  override readonly status = 429;
  override readonly code = "TOO_MANY_REQUESTS";
}

export class PayloadTooLargeError extends DomainError {
  override readonly status = 413;
  override readonly code = "PAYLOAD_TOO_LARGE";
}
