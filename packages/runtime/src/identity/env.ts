// The environment variables that name identity files: the runtime's fallback (DESIGN §4) and
// the bundled kora plugin's overrides read the same two.

/** The system prompt file. */
export const SYSTEM_PROMPT_ENV = 'KORA_SYSTEM_PROMPT_PATH';
/** The persona (soul) file. */
export const SOUL_ENV = 'KORA_SOUL_MD_PATH';
