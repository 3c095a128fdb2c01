/**
 * `kitsu-tail login`: find the Kitsu, prove who you are (password with its two-factor
 * round, or a bot/API token), and save the session in a profile. Each value comes from its
 * flag, else its environment variable, else the saved profile or a question on a terminal.
 */
import type { Context, PlanContext } from '../context.js';
import type { LoginOptions } from '../options.js';
import { AuthError, UsageError } from '../errors.js';
import { redactor } from '../core/redact.js';
import { reporterFor, type Reporter } from '../output/reporter.js';
import { sanitizeForTerminal } from '../output/sanitize.js';
import {
  checkToken,
  otpFieldFor,
  postLogin,
  probeKitsu,
  requestEmailCode,
  WrongCodeError,
  type Credentials,
  type LoginAnswer,
  type LoginTokens,
} from '../kitsu/auth.js';
import {
  parseEventHost,
  parseHost,
  sendsPasswordInClear,
  type EventAddress,
  type KitsuAddress,
} from '../kitsu/host.js';
import { createApiClient, type ApiClient } from '../kitsu/http.js';
import { expiresAt, isBotToken } from '../kitsu/jwt.js';
import { createLineReader, type LineReader } from '../output/prompt.js';
import { describeUser } from '../output/session-text.js';
import { tlsSettingsFor, tlsToSave } from '../kitsu/tls.js';
import { malformedTokenMessage } from '../kitsu/token-shape.js';
import type { SessionUser } from '../kitsu/types.js';
import { chosenProfileName, openStore, type StoredProfile } from '../store/profiles.js';
import { rememberAtLogin } from '../kitsu/completion-names.js';

/** The login flags, checked: the conflicts between them are found before anything connects. */
export interface LoginPlan {
  host?: string;
  eventHost?: string;
  email?: string;
  /** Read the password from stdin (--password-stdin). */
  passwordStdin: boolean;
  /** --token, trimmed: a token pasted or read from a file often ends with a line break, which no header may carry. */
  token?: string;
  otp?: string;
}

export function plan(_ctx: PlanContext, _args: string[], options: LoginOptions): LoginPlan {
  const passwordStdin = options.passwordStdin === true;
  if (options.token !== undefined && (passwordStdin || options.email !== undefined)) {
    throw new UsageError(
      '--token and a password login (--email, --password-stdin) exclude each other',
      'use one of them',
    );
  }
  const token = options.token?.trim();
  if (token === '')
    throw new UsageError('--token is empty', 'pass the bot token, such as --token "$(cat bot-token.txt)"');
  const malformed = token !== undefined && malformedTokenMessage(token, '--token');
  if (malformed) throw new UsageError(malformed, 'pass the token alone, on one line, as the Kitsu admin gave it');
  return {
    host: options.host,
    eventHost: options.eventHost,
    email: options.email,
    passwordStdin,
    token,
    otp: options.otp,
  };
}

/** What one run of `login` works with. */
interface Run {
  ctx: Context;
  options: LoginPlan;
  reader: LineReader;
  /** Whether questions can be asked (stdin is a terminal). */
  interactive: boolean;
  reporter: Reporter;
  /** The profile this login replaces, if any. */
  previous: StoredProfile | undefined;
}

interface Proven {
  accessToken: string;
  refreshToken?: string;
  user: SessionUser;
  bot: boolean;
}

export async function run(ctx: Context, options: LoginPlan): Promise<void> {
  const reporter = reporterFor(ctx);
  const reader = createLineReader(ctx);
  try {
    const store = await openStore(ctx.env);
    const profileName = chosenProfileName(store.read(), ctx.globals.profile, ctx.env);
    const previous = store.read().profiles[profileName];
    const run: Run = { ctx, options, reader, interactive: ctx.stdin.isTTY === true, reporter, previous };

    const address = await chooseHost(run);
    const events = chooseEventHost(run, address);
    // Logging in again to the same host keeps its CA file unless a TLS flag says otherwise.
    const inherited =
      previous?.host === address.root && previous.caFile ? { profileName, caFile: previous.caFile } : undefined;
    const tls = tlsSettingsFor(ctx, reporter, inherited);
    const savedTls = tlsToSave(ctx, inherited);
    const client = await createApiClient({ apiUrl: address.apiUrl, tls, env: ctx.env, reporter, signal: ctx.signal });
    try {
      const serverVersion = await probeKitsu(client, address.root);
      reporter.verbose(`login: ${address.root} is Kitsu (Zou ${serverVersion})`);
      const proven = await prove(run, client, address);
      const profile: StoredProfile = {
        host: address.root,
        apiUrl: address.apiUrl,
        ...events,
        user: proven.user,
        serverVersion,
        serverCheckedAt: new Date(ctx.clock.now()).toISOString(),
        accessToken: proven.accessToken,
        ...(proven.refreshToken ? { refreshToken: proven.refreshToken } : {}),
        bot: proven.bot,
        loggedInAt: new Date(ctx.clock.now()).toISOString(),
        ...savedTls,
      };
      const isDefault = await store.update((data) => {
        data.profiles[profileName] = profile;
        if (!data.defaultProfile || !data.profiles[data.defaultProfile]) data.defaultProfile = profileName;
        return data.defaultProfile === profileName;
      });
      // For shell completion of --project and patterns, which never asks the server itself.
      await rememberAtLogin(ctx.env, client, { profileName, token: proven.accessToken, serverVersion });
      if (previous && previous.host !== profile.host)
        reporter.info(`Profile "${profileName}" was for ${previous.host}; it now points at ${profile.host}.`);
      const how = proven.bot ? ', with a bot token' : '';
      reporter.info(
        `Logged in to ${address.root} as ${sanitizeForTerminal(`${describeUser(proven.user)} (${proven.user.role}`)}${how}). Saved as profile "${profileName}"${isDefault ? ' (the default)' : ''}.`,
      );
      if (ctx.globals.insecure)
        reporter.info(`Profile "${profileName}" keeps --insecure for later commands; each one warns.`);
      else if (ctx.globals.caFile)
        reporter.info(`Profile "${profileName}" keeps --ca-file ${savedTls.caFile} for later commands.`);
    } finally {
      await client.close();
    }
  } finally {
    reader.close();
  }
}

async function chooseHost({ ctx, options, reader, interactive, previous }: Run): Promise<KitsuAddress> {
  if (options.host) return parseHost(options.host, '--host');
  if (ctx.env.KITSU_HOST) return parseHost(ctx.env.KITSU_HOST, 'KITSU_HOST');
  if (interactive) return parseHost(await reader.ask('Kitsu host', { default: previous?.host }), 'the host');
  if (previous) return { root: previous.host, apiUrl: previous.apiUrl };
  throw new UsageError('no Kitsu host given', 'pass --host kitsu.studio.com, or set KITSU_HOST');
}

function chooseEventHost({ ctx, options, previous }: Run, address: KitsuAddress): EventAddress {
  if (options.eventHost) return parseEventHost(options.eventHost, '--event-host');
  if (ctx.env.KITSU_EVENT_HOST) return parseEventHost(ctx.env.KITSU_EVENT_HOST, 'KITSU_EVENT_HOST');
  if (previous && previous.host === address.root)
    return { eventUrl: previous.eventUrl, socketPath: previous.socketPath };
  return parseEventHost(address.root);
}

async function prove(run: Run, client: ApiClient, address: KitsuAddress): Promise<Proven> {
  const { ctx, options, reader, interactive, reporter, previous } = run;
  const passwordWanted = options.passwordStdin || options.email !== undefined;
  const token = options.token ?? (passwordWanted ? undefined : ctx.env.KITSU_TOKEN?.trim() || undefined);
  const malformed = token && !options.token && malformedTokenMessage(token, 'KITSU_TOKEN');
  if (malformed)
    throw new UsageError(malformed, 'set KITSU_TOKEN to the token alone, on one line, as the Kitsu admin gave it');
  if (token) return proveToken(client, token, reporter);

  const email =
    options.email ??
    ctx.env.KITSU_EMAIL ??
    (interactive
      ? await reader.ask('E-mail', { default: previous?.user?.email || undefined })
      : sameHostEmail(previous, address));
  if (!email) throw new UsageError('no e-mail given', 'pass --email, set KITSU_EMAIL, or log in with --token');

  if (sendsPasswordInClear(address.apiUrl)) {
    reporter.warn(
      `${address.root} is plain http: the password will cross the network unencrypted (use https if the server has it)`,
    );
  }
  const password = await readPassword(run);
  // Kitsu's "default" password is no secret, and masking the word would garble messages.
  if (password !== 'default') redactor.add(password);

  const credentials: Credentials = { email, password };
  const first = await postLogin(client, credentials);
  const answer = first.outcome === 'code-needed' ? await proveCode(run, client, credentials, first) : first;
  const tokens: LoginTokens = answer.tokens;
  if (tokens.twoFactorSetupRequired) {
    reporter.warn(
      'this server requires two-factor authentication, and this account has none yet: set it up in the Kitsu web app, or other commands will be refused',
    );
  }
  return { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, user: tokens.user, bot: false };
}

/** Logging in again to the same host: the e-mail of the last login there. */
function sameHostEmail(previous: StoredProfile | undefined, address: KitsuAddress): string | undefined {
  return previous && previous.host === address.root && !previous.bot ? previous.user?.email || undefined : undefined;
}

async function readPassword({ ctx, options, reader, interactive }: Run): Promise<string> {
  if (options.passwordStdin) {
    // Without a pipe, stdin is the keyboard: ask without echo instead of waiting silently.
    const line = interactive ? await reader.ask('Password', { hidden: true }) : await reader.line();
    if (!line)
      throw new UsageError(
        '--password-stdin read no password',
        'pipe the password in: printf %s "$PASSWORD" | kitsu-tail login --password-stdin …',
      );
    return line;
  }
  if (ctx.env.KITSU_PASSWORD) return ctx.env.KITSU_PASSWORD;
  if (interactive) {
    const password = await reader.ask('Password', { hidden: true });
    if (password) return password;
  }
  throw new UsageError('no password given', 'use --password-stdin, set KITSU_PASSWORD, or run on a terminal');
}

/** How many two-factor codes a person may type in one login before it starts over. */
export const CODE_TRIES = 3;

/**
 * The two-factor round. A code from --otp is sent once (a script must not guess); a code
 * typed on a terminal may be mistyped or go stale at a 30 s boundary, so a wrong one is asked
 * for again, up to CODE_TRIES in all, without typing the password again. Zou counts each
 * wrong code as a failed login and locks the account for a minute after five, so three tries
 * leave the account usable.
 */
async function proveCode(
  run: Run,
  client: ApiClient,
  credentials: Credentials,
  needed: { preferred: string | null; methods: string[] },
): Promise<LoginAnswer & { outcome: 'ok' }> {
  const { options, reader, reporter } = run;
  const { preferred, methods } = needed;
  const typed = options.otp === undefined;
  const byEmail = typed ? await prepareCodePrompt(run, client, credentials.email, preferred, methods) : false;
  for (let attempt = 1; ; attempt += 1) {
    const code = options.otp ?? (await askForCode(reader, byEmail));
    try {
      const answer = await postLogin(client, {
        ...credentials,
        otp: { field: otpFieldFor(code, preferred, methods), code: code.trim() },
      });
      if (answer.outcome === 'code-needed')
        throw new AuthError('the server still asks for a two-factor code', 'try again with a fresh code');
      return answer;
    } catch (error) {
      if (!(error instanceof WrongCodeError) || !typed || attempt >= CODE_TRIES) throw error;
      const left = CODE_TRIES - attempt;
      reporter.warn(
        `wrong two-factor code; ${byEmail ? 'check the code in the e-mail' : 'use the current code of your authenticator app'} (${left} ${left === 1 ? 'try' : 'tries'} left)`,
      );
    }
  }
}

/**
 * Before the first question: refuse what a terminal cannot do, ask Kitsu to e-mail a code when
 * that is the way, and without a terminal say to pass --otp. True when the code comes by e-mail.
 */
async function prepareCodePrompt(
  { interactive, reporter }: Run,
  client: ApiClient,
  email: string,
  preferred: string | null,
  methods: readonly string[],
): Promise<boolean> {
  const canType = methods.some((m) => m === 'totp' || m === 'email_otp');
  if (!canType && preferred === 'fido') {
    throw new AuthError(
      'this account logs in with a security key (FIDO), which a terminal cannot use',
      'pass a recovery code with --otp, or use a bot token',
    );
  }
  const byEmail =
    preferred === 'email_otp' || (preferred !== 'totp' && !methods.includes('totp') && methods.includes('email_otp'));
  if (byEmail) {
    await requestEmailCode(client, email);
    reporter.info(`Kitsu has e-mailed a login code to ${email}.`);
  }
  if (!interactive) {
    throw new AuthError(
      'this account needs a two-factor code',
      byEmail
        ? 'run again with --otp CODE, the code from the e-mail'
        : 'run again with --otp CODE from your authenticator app',
    );
  }
  return byEmail;
}

async function askForCode(reader: LineReader, byEmail: boolean): Promise<string> {
  const code = await reader.ask(byEmail ? 'Code from the e-mail' : 'Two-factor code');
  if (!code) throw new AuthError('no two-factor code given', 'run again and type the code');
  return code;
}

async function proveToken(client: ApiClient, token: string, reporter: Reporter): Promise<Proven> {
  redactor.add(token);
  const user = await checkToken(client, token);
  const bot = isBotToken(token);
  if (!bot) {
    const end = expiresAt(token);
    reporter.warn(
      `this is a personal access token that cannot be renewed${end ? ` and ends ${new Date(end).toISOString()}` : ''}: unattended jobs should use a bot token`,
    );
  }
  return { accessToken: token, user, bot };
}
