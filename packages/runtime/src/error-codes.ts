// The catalogue of error codes: each code's one meaning, what the operator does about it, and
// the exit code a command ends with when the error ends it. `KoraErrorCode` is derived from
// this table, so a code cannot be thrown without its entry, and docs/errors.md is checked
// against it by a test.

/** Process exit codes (DESIGN §5; `kora status` adds 3–5, see docs/exit-codes.md). */
export const EXIT = { ok: 0, fatal: 1, config: 2, forced: 130 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface ErrorCodeSpec {
  /** The exit code when this error ends a command or a boot. */
  readonly exit: ExitCode;
  /** What the code means, in one line (the message adds the particulars). */
  readonly meaning: string;
  /** What to do about it. */
  readonly fix: string;
}

const CONFIG = EXIT.config;
const FATAL = EXIT.fatal;

export const ERROR_CODES = {
  // Config and environment: the operator's files and variables. Exit 2.
  KORA_ERR_CONFIG_NOT_FOUND: { exit: CONFIG, meaning: 'No kora.yaml was found where commands look for one.', fix: 'Run `kora init` to write a commented ./kora.yaml, or pass --config PATH, or set KORA_CONFIG.' },
  KORA_ERR_CONFIG_EXISTS: { exit: CONFIG, meaning: '`kora init` found a kora.yaml where it would write one; it never overwrites.', fix: 'Edit the file that is there (`kora plugins enable <id>`, `kora config check`), or run `kora init --dir <another folder>`.' },
  KORA_ERR_SCAFFOLD_EXISTS: { exit: CONFIG, meaning: '`kora plugins new` would write into a folder that is not empty.', fix: 'Pick another folder with --dir, or remove the one named.' },
  KORA_ERR_CONFIG_PARSE: { exit: CONFIG, meaning: 'kora.yaml is not valid YAML (or expands past the alias limit).', fix: 'Fix the syntax at the line given.' },
  KORA_ERR_CONFIG_INVALID: { exit: CONFIG, meaning: 'A field of kora.yaml (or a plugin’s section) has a value that is not allowed.', fix: 'Change the field named, at the line given; `kora config schema` lists every field.' },
  KORA_ERR_CONFIG_TOO_LARGE: { exit: CONFIG, meaning: 'kora.yaml is larger than the 1 MiB cap.', fix: 'Keep data out of the config: point to files instead.' },
  KORA_ERR_SCHEDULE_INVALID: { exit: CONFIG, meaning: 'A task’s schedule (every, cron, timezone, offset) cannot be used.', fix: 'Set daemons.<daemon>.tasks.<task> in kora.yaml to a valid schedule (periods of at least 1 s).' },
  KORA_ERR_DURATION_INVALID: { exit: CONFIG, meaning: 'A duration is not of the form 500ms, 30s, 5m, 2h, 1d.', fix: 'Write the duration with a unit, within the limits given.' },
  KORA_ERR_ENV_INVALID: { exit: CONFIG, meaning: 'A KORA_* environment variable has a value that is not accepted.', fix: 'Set the variable named to one of the values listed, or unset it.' },
  KORA_ERR_USAGE: { exit: CONFIG, meaning: 'A command was called with arguments it cannot use.', fix: 'Check the command’s --help; unknown daemon names are listed with the known ones.' },
  KORA_ERR_DEPLOY_ENV: { exit: FATAL, meaning: 'The gateway refuses to start without a deploy environment.', fix: 'Set KORA_DEPLOY_ENV (e.g. production), or pass --dev for a development run.' },

  // Plugins: discovery, loading, registration.
  KORA_ERR_PLUGIN_MANIFEST: { exit: FATAL, meaning: 'A plugin’s package.json#kora manifest is missing or invalid.', fix: 'Fix the manifest field named in the plugin’s package.json, or reinstall the plugin.' },
  KORA_ERR_PLUGIN_NOT_FOUND: { exit: CONFIG, meaning: 'A plugin named on the command line is not found in any source.', fix: 'Install it (npm install <package>) or put it in $KORA_HOME/plugins; `kora plugins list` shows what is found.' },
  KORA_ERR_PLUGIN_HOST_API: { exit: FATAL, meaning: 'A plugin needs a host API version this runtime does not provide.', fix: 'Install a version of the plugin built for this runtime’s host API (both versions are named).' },
  KORA_ERR_PLUGIN_IMPORT: { exit: FATAL, meaning: 'A plugin’s entry module cannot be imported (it throws or is missing).', fix: 'Fix or reinstall the plugin; the import error is quoted.' },
  KORA_ERR_PLUGIN_IMPORT_TIMEOUT: { exit: FATAL, meaning: 'A plugin’s entry module did not finish importing within the register timeout.', fix: 'Look for a top-level await that never settles; raise hooks.timeout if the import is only slow.' },
  KORA_ERR_PLUGIN_ENTRY_INVALID: { exit: FATAL, meaning: 'A plugin’s entry module does not default-export a plugin definition of its own id.', fix: 'Default-export definePlugin({ id, register }) with the manifest’s id.' },
  KORA_ERR_PLUGIN_REGISTER: { exit: FATAL, meaning: 'A plugin’s register() threw.', fix: 'Read the plugin’s error (quoted); it usually names a file or setting it needs.' },
  KORA_ERR_PLUGIN_REGISTER_TIMEOUT: { exit: FATAL, meaning: 'A plugin’s register() did not finish within the register timeout.', fix: 'Move slow work from register() into a daemon’s start(); raise hooks.timeout if needed.' },
  KORA_ERR_PLUGIN_LATE_REGISTRATION: { exit: FATAL, meaning: 'A plugin registered something after its register() had finished.', fix: 'Register hooks, daemons, tools and contributions inside register(), not from timers or callbacks.' },
  KORA_ERR_PLUGIN_BAD_REGISTRATION: { exit: FATAL, meaning: 'A plugin registered something malformed (no callback, no name, an invalid contribution).', fix: 'Fix the registration named in the plugin.' },
  KORA_ERR_PLUGIN_NO_TABLES: { exit: FATAL, meaning: 'A plugin used ctx.db without declaring migrations.', fix: 'Add `migrations` to the plugin definition to create its tables (named <id>_*).' },
  KORA_ERR_PLUGIN_MIGRATION: { exit: FATAL, meaning: 'A plugin’s migration failed or created a table outside its <id>_* names; it was rolled back.', fix: 'Fix the migration named; the plugin is failed until it applies.' },
  KORA_ERR_PLUGIN_CRITICAL: { exit: CONFIG, meaning: 'A plugin marked critical failed to load, so the gateway does not start.', fix: 'Fix the plugin’s own error (quoted), or remove it from plugins.critical.' },
  KORA_ERR_PLUGIN_FAULT: { exit: FATAL, meaning: 'Plugin code threw asynchronously (a timer, a rejection nobody handled); its daemon was fenced.', fix: 'Report it to the plugin’s author with the error quoted; restart the gateway once fixed.' },
  KORA_ERR_PLUGIN_EXIT: { exit: FATAL, meaning: 'Code called process.exit() while the gateway ran; the gateway does not exit on its behalf.', fix: 'Plugins must throw or fail their daemon instead of exiting the process.' },

  // Hooks, identity, services, tools.
  KORA_ERR_HOOK_DEFINE: { exit: FATAL, meaning: 'A hook was defined with a catalogued name, an unknown kind or no name.', fix: 'Give a plugin hook a name of its own (prefix it with the plugin id) and one of the kinds first, merge, waterfall, guard, observe, collect.' },
  KORA_ERR_HOOK_KIND_CONFLICT: { exit: FATAL, meaning: 'The same hook name was defined with two different kinds.', fix: 'Make both definitions agree, or rename one of the hooks.' },
  KORA_ERR_HOOK_UNCLASSIFIED_GUARD: { exit: FATAL, meaning: 'A hook name that looks like a guard (pre_tool_call…) is not in the catalog: a mistyped guard would fail open.', fix: 'Use the catalogued name (pre_tool_call), or define the hook with defineHook(name, kind).' },
  KORA_ERR_HOOK_TIMEOUT: { exit: FATAL, meaning: 'A hook callback did not answer within hooks.timeout (a guard that times out blocks).', fix: 'Make the callback faster or honour its signal; raise hooks.timeout if needed.' },
  KORA_ERR_IDENTITY_UNRESOLVED: { exit: FATAL, meaning: 'No plugin claimed an identity and no identity files are set; the agent does not speak.', fix: 'Enable a plugin that provides one (e.g. kora), or set KORA_SYSTEM_PROMPT_PATH.' },
  KORA_ERR_SERVICE_MISSING: { exit: FATAL, meaning: 'A service was asked for that no running daemon provides.', fix: 'Enable and start the daemon that provides it (the message lists what is provided).' },
  KORA_ERR_SERVICE_DUPLICATE: { exit: FATAL, meaning: 'Two providers provide the same service name.', fix: 'Disable one of the two plugins named.' },
  KORA_ERR_MCP_SERVER: { exit: FATAL, meaning: 'An MCP server Kora consumes (plugins.config.mcp.servers) could not be reached or failed a call.', fix: 'See the server in `kora status` (mcp_consumption) and its last error; check its command or URL and credentials.' },
  KORA_ERR_TOOL_DUPLICATE: { exit: FATAL, meaning: 'Two plugins register a tool of the same name.', fix: 'Disable one of the two plugins named, or rename the tool.' },
  KORA_ERR_TOOL_UNKNOWN: { exit: FATAL, meaning: 'A tool was called that no plugin registers or answers for.', fix: 'Check the tool name; `ctx.tools.list()` shows the registered ones.' },
  KORA_ERR_TOOL_BLOCKED: { exit: FATAL, meaning: 'A pre_tool_call guard blocked the tool call.', fix: 'The blocking plugins and their reasons are given.' },
  KORA_ERR_TOOL_FAILED: { exit: FATAL, meaning: 'A tool threw.', fix: 'The tool’s error is quoted.' },
  KORA_ERR_TOOL_TIMEOUT: { exit: FATAL, meaning: 'A tool did not answer within its timeout (default 60 s); its signal was aborted.', fix: 'Make the tool honour its signal, or give it a longer `timeout`.' },
  KORA_ERR_TOOL_ABORTED: { exit: FATAL, meaning: 'A tool call was cancelled by its caller.', fix: 'Nothing: the caller gave up.' },

  // Daemons and tasks.
  KORA_ERR_DAEMON_DUPLICATE: { exit: FATAL, meaning: 'Two plugins register a daemon of the same name.', fix: 'Disable one of the two plugins named.' },
  KORA_ERR_DAEMON_START: { exit: FATAL, meaning: 'A daemon’s start() threw.', fix: 'Read the daemon’s error (quoted); a missing credential is the usual cause.' },
  KORA_ERR_DAEMON_START_TIMEOUT: { exit: FATAL, meaning: 'A daemon’s start() did not finish within its start timeout.', fix: 'Raise daemons.<name>.startTimeout, or find what start() waits on.' },
  KORA_ERR_DAEMON_STOP: { exit: FATAL, meaning: 'A daemon’s stop() threw; it was skipped.', fix: 'Report it to the plugin’s author; the gateway stopped anyway.' },
  KORA_ERR_DAEMON_STOP_TIMEOUT: { exit: FATAL, meaning: 'A daemon’s stop() did not finish within its stop timeout; it was skipped.', fix: 'Raise daemons.<name>.stopTimeout, or find what stop() waits on.' },
  KORA_ERR_DAEMON_ENDPOINT: { exit: FATAL, meaning: 'A daemon published an endpoint that is not { name, url, note? } with an absolute URL.', fix: 'Report it to the plugin’s author.' },
  KORA_ERR_DAEMON_NAME: { exit: FATAL, meaning: 'A plugin registered a daemon whose name is not allowed.', fix: 'Name daemons like plugin ids: lower-case letters, digits, _ and -, starting with a letter, at most 64 characters.' },
  KORA_ERR_DAEMON_SCOPE: { exit: FATAL, meaning: 'A plugin registered a daemon with a scope other than everywhere or leader.', fix: 'Set the daemon’s scope to "everywhere" (the default) or "leader".' },
  KORA_ERR_TASK_NAME: { exit: FATAL, meaning: 'A plugin registered a task whose name is not allowed.', fix: 'Name tasks <daemon>.<what>: lower-case letters, digits, _, - and dots, starting with a letter, at most 64 characters.' },
  KORA_ERR_TASK_DUPLICATE: { exit: FATAL, meaning: 'Two daemons declare a task of the same name.', fix: 'Task names are unique across the gateway: prefix them with the daemon name.' },
  KORA_ERR_TASK_INTERRUPTED: { exit: FATAL, meaning: 'A task run did not finish within the drain budget at stop and was aborted.', fix: 'Make the task honour its signal, or raise gateway.drainBudget.' },
  KORA_ERR_CONSUMER_DUPLICATE: { exit: FATAL, meaning: 'Two daemons consume the same inbox topic.', fix: 'A topic has one consumer: disable one of the two daemons named, or give one its own topic.' },
  KORA_ERR_CONSUMER_TIMEOUT: { exit: FATAL, meaning: 'An inbox consumer did not finish an item within its lease; its signal was aborted and the item is retried.', fix: 'Make the consumer honour its signal, and finish or fail items sooner.' },
  KORA_ERR_CONSUMER_INTERRUPTED: { exit: FATAL, meaning: 'An inbox consumer was still handling an item when its daemon stopped, past the drain budget; the item is retried.', fix: 'Nothing is lost; raise gateway.drainBudget if handlers need longer to finish.' },
  KORA_ERR_TASK_UNKNOWN: { exit: FATAL, meaning: 'A run was asked for a task no running daemon schedules.', fix: 'Pick a name from `kora status` (or GET /api/tasks); a task of a failed or stopped daemon cannot run.' },
  KORA_ERR_TASK_RUNNING: { exit: FATAL, meaning: 'A run was asked for a task whose run is still going; a task never runs twice at once.', fix: 'Wait for the run to finish, then ask again.' },
  KORA_ERR_TOKEN_FILE: { exit: FATAL, meaning: 'A token file a plugin keeps in the home (admin_token, mcp_token) holds no usable token.', fix: 'Delete the file named and restart: a new token is generated.' },
  KORA_ERR_OPERATION_ACTOR: { exit: FATAL, meaning: 'An operation (run a task, stop, replay) was asked without a valid actor to audit it under.', fix: 'Pass { actor: "<surface>:<who>" }, e.g. "web:admin".' },
  KORA_ERR_GATEWAY_STOPPING: { exit: FATAL, meaning: 'An operation was asked of a gateway that is stopping or not running yet.', fix: 'Wait for the gateway to run (kora status), then ask again.' },
  KORA_ERR_TASK_TIMEOUT: { exit: FATAL, meaning: 'A task run did not finish within its timeout; its signal was aborted.', fix: 'Make the task honour its signal, or raise daemons.<d>.tasks.<t>.timeout.' },

  // The reasoning engine (bundled plugin `reasoning`).
  KORA_ERR_REASONING_NOT_CONFIGURED: { exit: FATAL, meaning: 'ReasoningEngineNotConfigured: the reasoning engine has no credential for the Anthropic API.', fix: 'Set CLAUDE_CODE_OAUTH_TOKEN, or KORA_ANTHROPIC_API_KEY (or ANTHROPIC_API_KEY); or set daemons.reasoning_engine.fatal: false to boot degraded without an engine.' },
  KORA_ERR_REASONING_API: { exit: FATAL, meaning: 'The Anthropic API refused a model call, or kept failing past the retries.', fix: 'The API’s status and error type are quoted: 401/403 is the credential, 400 the request, 429/529/5xx load (raise plugins.config.reasoning.retries).' },
  KORA_ERR_REASONING_TIMEOUT: { exit: FATAL, meaning: 'A model call did not answer within its timeout, on every attempt.', fix: 'Raise plugins.config.reasoning.timeoutMs, or lower maxTokens.' },
  KORA_ERR_REASONING_ABORTED: { exit: FATAL, meaning: 'A reply was cancelled by its caller (or the engine stopped) before it was done.', fix: 'Nothing: the caller gave up.' },
  KORA_ERR_REASONING_REFUSED: { exit: FATAL, meaning: 'A hook refused a model call before it was sent (a cost rung’s hard stop); the refusal’s code and message are in the details.', fix: 'Nothing to fix in the engine: the budget (or whatever refused) decides; the channel answers with the refusal’s message.' },
  KORA_ERR_REASONING_MAX_CALLS: { exit: FATAL, meaning: 'A reply used every model call it may make and the model still gave no text.', fix: 'Raise plugins.config.reasoning.maxCalls, or offer fewer tools.' },

  // The email channel (bundled plugin `email`).
  KORA_ERR_EMAIL_SENDER_UNAVAILABLE: { exit: FATAL, meaning: 'No SMTP sender runs: the KORA_PUREMAIL_SMTP_* credentials are not set, or `purelymail_client` failed.', fix: 'Set KORA_PUREMAIL_SMTP_USERNAME and KORA_PUREMAIL_SMTP_APP_PASSWORD (and the host, port, TLS when not Purelymail’s) and restart; `kora status` shows purelymail_client’s note.' },
  KORA_ERR_ALERT_NOT_DELIVERED: { exit: FATAL, meaning: 'An alert could not be queued or delivered to Slack or email; the inbox retries it, then dead-letters it.', fix: 'Read the destinations’ errors quoted (and the alerts.dispatch_failed audit rows); check the slack and email plugins in kora status.' },
  KORA_ERR_EMAIL_FROM_REFUSED: { exit: FATAL, meaning: 'An email was to be sent from an address outside the domains the agent may send from.', fix: 'Send from an address in KORA_EMAIL_KORA_ALLOWED_FROM_DOMAINS, or add its domain there (comma-separated) and restart.' },
  KORA_ERR_EMAIL_SEND_FAILED: { exit: FATAL, meaning: 'The SMTP server refused or failed an email (authentication, a recipient, the connection).', fix: 'The server’s answer is quoted: check the credentials, the recipient and KORA_PUREMAIL_SMTP_HOST/PORT/TLS.' },
  KORA_ERR_EMAIL_IMAP: { exit: FATAL, meaning: 'A cycle of the IMAP poller failed (connection, login, mailbox, a message it could not keep).', fix: 'The server’s answer is quoted: check KORA_PUREMAIL_IMAP_*; the messages not kept stay unseen and are fetched by the next cycle.' },
  KORA_ERR_EMAIL_REPLY_FAILED: { exit: FATAL, meaning: 'An inbound email could not be answered (no engine, the engine failed, no sender); the inbox retries it, then dead-letters it.', fix: 'The cause is quoted; fix it, then `kora inbox replay <id>` for a dead letter.' },

  // The CLI over the admin API (`kora ask`, `kora usage`).
  KORA_ERR_GATEWAY_NOT_RUNNING: { exit: FATAL, meaning: 'A command that talks to the running gateway found none running for this home.', fix: 'Start it with `kora daemon` (`kora status` says why the last one stopped), or point KORA_HOME / --config at the home of the one that runs.' },
  KORA_ERR_ADMIN_API_UNAVAILABLE: { exit: CONFIG, meaning: 'The running gateway serves no admin API: its `web` daemon is not enabled, not running, or not reachable.', fix: 'Enable the `web` plugin (`kora plugins enable web`) and restart the gateway; `kora status` shows the web daemon and its admin UI endpoint.' },
  KORA_ERR_ADMIN_UNAUTHORIZED: { exit: CONFIG, meaning: 'The admin API refused the admin token the CLI sent (or the CLI found none to send).', fix: 'Set KORA_ADMIN_TOKEN to the gateway’s admin token; a dev run keeps its token in $KORA_HOME/admin_token, read when KORA_ADMIN_TOKEN is unset.' },
  KORA_ERR_ENGINE_UNAVAILABLE: { exit: FATAL, meaning: 'The gateway runs, but its reasoning engine does not: no `engine` service answers.', fix: 'The message names the variable to set (an Anthropic credential, usually); set it in the gateway’s environment and restart the gateway.' },
  KORA_ERR_ADMIN_API: { exit: FATAL, meaning: 'The admin API answered a request with an error the CLI has no code of its own for.', fix: 'The API’s status, code and message are quoted; the gateway’s log has the details.' },

  // The learning loops' proposals (plugin `promote`).
  KORA_ERR_PROPOSAL_UNKNOWN: { exit: CONFIG, meaning: 'No proposal has the id given.', fix: 'Copy the id from `kora proposals list` (or the admin UI’s Proposals page).' },
  KORA_ERR_PROPOSAL_NOT_PENDING: { exit: FATAL, meaning: 'A proposal was decided already, or expired, and cannot be approved or rejected.', fix: 'Nothing to do for this one: the message says who decided it; an expired finding is proposed again by its loop’s next cycle if it still holds.' },
  KORA_ERR_PROPOSAL_NEEDS_A_PERSON: { exit: FATAL, meaning: 'A proposal was to be approved or rejected by a caller no surface vouches for (the model itself, through a tool).', fix: 'Decide it as a person: the admin UI, `kora proposals approve|reject`, or MCP `kora__proposals` with a caller token.' },

  // Gateway and store.
  KORA_ERR_GATEWAY_FAULT: { exit: FATAL, meaning: 'The gateway met an error it could not pin on a plugin, and stopped cleanly.', fix: 'Report it with the log line; restart the gateway.' },
  KORA_ERR_GATEWAY_NOT_STARTED: { exit: FATAL, meaning: 'Something asked for a part of the gateway before it started.', fix: 'Call start() (or load()) first.' },
  KORA_ERR_HOME_LOCKED: { exit: FATAL, meaning: 'Another gateway already runs on this home.', fix: 'Stop it (its pid is named), or give this gateway its own home (KORA_HOME).' },
  KORA_ERR_STATUS_WRITE: { exit: FATAL, meaning: 'The status file cannot be written.', fix: 'Check that $KORA_HOME/run exists and is writable, and that the disk is not full.' },
  KORA_ERR_STORE: { exit: FATAL, meaning: 'The store failed (opening, migrating, or a query).', fix: 'The store’s error is quoted with its location.' },
  KORA_ERR_STORE_BUSY: { exit: FATAL, meaning: 'The database stayed locked by another process past the retry bound.', fix: 'Find the other process holding $KORA_HOME/kora.db (a second gateway, a sqlite3 shell) and stop it.' },
  KORA_ERR_STORE_FULL: { exit: FATAL, meaning: 'The database could not grow: the disk (or a size limit) is full.', fix: 'Free disk space; the gateway is degraded until writes succeed.' },
  KORA_ERR_STORE_IO: { exit: FATAL, meaning: 'The database could not be read or written (I/O error, read-only file).', fix: 'Check the disk and the file’s permissions.' },
  KORA_ERR_STORE_FILE_GONE: { exit: FATAL, meaning: 'The database file was deleted or replaced under the running gateway.', fix: 'Restart the gateway (it recreates the file) and find what removed it.' },
  KORA_ERR_STORE_UNREACHABLE: { exit: FATAL, meaning: 'The PostgreSQL server of store.url cannot be reached (refused, timed out, connection cut, authentication failed).', fix: 'The message names host, port and database: check the server runs, the network and the credentials. A running gateway is degraded meanwhile and reconnects by itself.' },
  KORA_ERR_INBOX_INVALID: { exit: FATAL, meaning: 'An inbox topic or key is not allowed (empty, too long, or a topic not of the form area.what).', fix: 'Name topics like slack.events (lower-case words joined by dots) and give every item a non-empty key of at most 1024 characters.' },
  KORA_ERR_INBOX_PAYLOAD: { exit: FATAL, meaning: 'An inbox item’s payload has no JSON form (a function, a bigint, a cycle).', fix: 'Enqueue plain JSON data: convert bigints and dates to strings, drop functions and cycles.' },
} as const satisfies Record<`KORA_ERR_${string}`, ErrorCodeSpec>;

export type KoraErrorCode = keyof typeof ERROR_CODES;

/** The exit code for an error code: one table, so a new code cannot go without one. */
export function exitCodeOf(code: KoraErrorCode): ExitCode {
  return ERROR_CODES[code].exit;
}
