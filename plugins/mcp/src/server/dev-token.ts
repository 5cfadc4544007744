// Dev mode's MCP caller: one token generated on the first dev boot, kept owner-only in
// `$KORA_HOME/mcp_token` and reused on later boots, so a client configured once keeps working.
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';

export const DEV_TOKEN_FILE = 'mcp_token';
export const DEV_CALLER_ID = 'dev';

export interface DevToken {
  readonly token: string;
  /** True when this boot wrote the file. */
  readonly created: boolean;
  /** True when an existing file was readable by others and was made owner-only. */
  readonly tightened: boolean;
}

/** The token in `file`, or a new one (32 random bytes, base64url) written there with mode 0600. */
export function devToken(file: string): DevToken {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return readExisting(file);
  }
  const token = randomBytes(32).toString('base64url');
  try {
    writeSync(fd, `${token}\n`);
  } finally {
    closeSync(fd);
  }
  return { token, created: true, tightened: false };
}

function readExisting(file: string): DevToken {
  const token = readFileSync(file, 'utf8').trim();
  // A short or empty file (a crash between create and write, an operator's edit) is refused, never
  // taken as a weak token; the message says how to get a new one.
  if (token.length < 16) throw new Error(`${file} holds no token (fewer than 16 characters): delete it and restart to generate a new one`);
  let tightened = false;
  if ((statSync(file).mode & 0o077) !== 0) {
    chmodSync(file, 0o600);
    tightened = true;
  }
  return { token, created: false, tightened };
}
