/**
 * The exit codes (the table in src/README.md), and the errors that carry them. Only `run()` in
 * src/cli.ts turns an error into text and an exit code; everything else throws.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  auth: 3,
  permission: 4,
  network: 5,
  server: 6,
  incomplete: 124,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An expected failure: printed as one line (message, then the hint), never with a stack. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** What the user should do next, e.g. "run `kitsu-tail login`". */
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad flag, bad date, bad pattern: exit 2. */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.usage, hint);
  }
}

/** Not logged in, bad credentials, session expired and not renewable: exit 3. */
export class AuthError extends CliError {
  constructor(message: string, hint = 'run `kitsu-tail login`') {
    super(message, ExitCode.auth, hint);
  }
}

/** The server said 403: exit 4. */
export class PermissionError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.permission, hint);
  }
}

/** Host unreachable, TLS failure, time-out after retries: exit 5. */
export class NetworkError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.network, hint);
  }
}

/** 5xx, or an answer that is not the Kitsu API: exit 6. */
export class ServerError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.server, hint);
  }
}

/** `--idle-timeout` or `--until` ended `listen --count N` before N events: exit 124. */
export class IncompleteError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.incomplete);
  }
}

/** Ctrl-C: exit 130. The command has already printed its summary. */
export class InterruptedError extends CliError {
  constructor(message = 'interrupted') {
    super(message, ExitCode.interrupted);
  }
}

/**
 * The reader of stdout went away (`| head`). Not a failure: run() exits 0 and prints nothing.
 */
export class OutputClosedError extends CliError {
  constructor() {
    super('stdout closed', ExitCode.ok);
  }
}
