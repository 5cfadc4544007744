// The one place that knows the Anthropic SDK: it is imported here, lazily, at the engine's first
// model call (decision 0141), so neither a gateway that never starts the engine nor the boot of
// one that does pays for it (≈ 0.1 s of a boot, and its memory). The engine sees a
// `MessagesClient` speaking the hook catalog's shapes (llm-types), and coded errors.
import type { ApiRequest, ApiResponse, Logger, LlmUsage, TextBlock, ToolUseBlock } from '@kora/runtime';
import type { Credential } from './credentials.js';
import { aborted, apiFailed, timedOut } from './errors.js';

export interface CallOptions {
  readonly signal?: AbortSignal;
}

/** One Messages API call in the catalog's shapes; rejects with a coded ReasoningError. */
export interface MessagesClient {
  create(request: ApiRequest, options?: CallOptions): Promise<ApiResponse>;
}

export interface ClientSettings {
  readonly credential: Credential;
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly retries: number;
  /** `anthropic-beta` sent with an OAuth token, or false. */
  readonly oauthBeta: string | false;
  readonly log: Logger;
}

type Sdk = typeof import('@anthropic-ai/sdk');

/**
 * The engine's client. The SDK is imported, and its client built, at the first call (the import
 * is the slow part, ≈ 0.1 s, once); calls made while it loads wait for the same import. An import
 * that fails fails that call with the engine's coded error, and the next call tries again.
 */
export function createMessagesClient(settings: ClientSettings): MessagesClient {
  let ready: Promise<{ sdk: Sdk; client: InstanceType<Sdk['default']> }> | undefined;
  const load = () =>
    (ready ??= import('@anthropic-ai/sdk').then(
      (sdk) => ({ sdk, client: buildClient(sdk, settings) }),
      (err: unknown) => {
        ready = undefined;
        throw err;
      },
    ));

  return {
    async create(request, options = {}) {
      let loaded: Awaited<ReturnType<typeof load>>;
      try {
        loaded = await load();
      } catch (err) {
        throw apiFailed({ status: null, type: null, message: `the Anthropic SDK could not be loaded: ${err instanceof Error ? err.message : String(err)}`, model: request.model, retries: 0 }, err);
      }
      const { sdk, client } = loaded;
      const { APIError, APIConnectionTimeoutError, APIUserAbortError } = sdk;
      try {
        // The catalog's ApiRequest is the Messages API body (read-only arrays); the SDK types the same wire shape.
        const body = request as unknown as Parameters<typeof client.messages.create>[0] & { stream?: false };
        const message = await client.messages.create(body, { ...(options.signal ? { signal: options.signal } : {}) });
        return toApiResponse(message);
      } catch (err) {
        if (err instanceof APIUserAbortError || options.signal?.aborted) throw aborted(reasonOf(options.signal));
        if (err instanceof APIConnectionTimeoutError) throw timedOut(request.model, settings.timeoutMs, settings.retries, err);
        if (err instanceof APIError) {
          const body = err.error as { error?: { type?: unknown; message?: unknown } } | undefined;
          const type = typeof body?.error?.type === 'string' ? body.error.type : null;
          const message = typeof body?.error?.message === 'string' ? body.error.message : err.message;
          // A lost connection (no status) is retried like a 5xx.
          const retried = err.status === undefined || retryable(err.status) ? settings.retries : 0;
          throw apiFailed({ status: err.status ?? null, type, message, model: request.model, retries: retried }, err);
        }
        // Anything else the SDK throws (a request it cannot build) is still the engine's coded error.
        throw apiFailed({ status: null, type: null, message: err instanceof Error ? err.message : String(err), model: request.model, retries: 0 }, err);
      }
    },
  };
}

function buildClient(sdk: Sdk, settings: ClientSettings): InstanceType<Sdk['default']> {
  const { credential } = settings;
  return new sdk.default({
    baseURL: settings.baseUrl,
    // Exactly one credential, passed in code, so the SDK reads none from process.env or disk.
    ...(credential.kind === 'oauth' ? { authToken: credential.token } : { apiKey: credential.key }),
    ...(credential.kind === 'oauth' && settings.oauthBeta ? { defaultHeaders: { 'anthropic-beta': settings.oauthBeta } } : {}),
    // The SDK sends an API key as a bearer token; the Messages API documents `x-api-key` for keys
    // (decision 0061), so the header is moved on every attempt, retries included.
    ...(credential.kind === 'apiKey' ? { middleware: [apiKeyHeader(credential.key)] } : {}),
    timeout: settings.timeoutMs,
    maxRetries: settings.retries,
    logLevel: 'warn',
    logger: sdkLogger(settings.log),
  });
}

function retryable(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

function reasonOf(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason.message;
  return typeof reason === 'string' ? reason : 'the caller aborted';
}

function apiKeyHeader(key: string) {
  return function moveApiKey(request: { headers: Headers }, next: (request: never) => Promise<Response>): Promise<Response> {
    request.headers.delete('authorization');
    request.headers.set('x-api-key', key);
    return next(request as never);
  };
}

/** The SDK logs through the plugin's logger, messages only: its extra arguments may hold request details. */
function sdkLogger(log: Logger) {
  return {
    error: (message: string) => log.error(`anthropic sdk: ${message}`),
    warn: (message: string) => log.warn(`anthropic sdk: ${message}`),
    info: (message: string) => log.debug(`anthropic sdk: ${message}`),
    debug: () => {},
  };
}

interface SdkMessage {
  id: string;
  model: string;
  content: readonly { type: string }[];
  stop_reason: string | null;
  stop_sequence: string | null;
  usage: { input_tokens: number; output_tokens: number; cache_creation_input_tokens?: number | null; cache_read_input_tokens?: number | null };
}

/** The text and tool_use blocks, and the usage, in the catalog's shapes. */
export function toApiResponse(message: SdkMessage): ApiResponse {
  const content: (TextBlock | ToolUseBlock)[] = [];
  for (const block of message.content) {
    if (block.type === 'text') content.push({ type: 'text', text: (block as unknown as TextBlock).text });
    else if (block.type === 'tool_use') {
      const use = block as unknown as ToolUseBlock;
      content.push({ type: 'tool_use', id: use.id, name: use.name, input: use.input });
    }
  }
  const usage: LlmUsage = {
    input_tokens: message.usage.input_tokens,
    output_tokens: message.usage.output_tokens,
    cache_creation_input_tokens: message.usage.cache_creation_input_tokens ?? null,
    cache_read_input_tokens: message.usage.cache_read_input_tokens ?? null,
  };
  return {
    id: message.id,
    type: 'message',
    role: 'assistant',
    model: message.model,
    content,
    stop_reason: message.stop_reason as ApiResponse['stop_reason'],
    stop_sequence: message.stop_sequence,
    usage,
  };
}
