/** Exit codes of the drainlab command; every error a user can cause maps to one. */
export const ExitCode = {
  pass: 0,
  checkFailed: 1,
  usage: 2,
  environment: 3,
  interrupted: 130,
} as const;

/** An error meant for the user: a clear message and an exit code, never a stack trace. */
export class DrainlabError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad scenario or bad command line (exit 2). */
export class UsageError extends DrainlabError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

/** No engine, an image that will not build, a container that will not start (exit 3). */
export class EnvironmentError extends DrainlabError {
  constructor(message: string) {
    super(message, ExitCode.environment);
  }
}
