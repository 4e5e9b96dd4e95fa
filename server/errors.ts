// Every refusal is an HttpError: the error handler turns it into `{error}` with its status, so a
// client always learns what was wrong and never sees a stack.
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}
