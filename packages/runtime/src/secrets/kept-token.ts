// Tokens a plugin generates for dev mode (the admin UI's, the MCP server's) and keeps in the
// home: generated once, owner-only, reused on later boots so a browser or client set up once
// keeps working. And comparing a presented token with an expected one in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { KoraError } from '../errors.js';

/** A kept token shorter than this is refused, never taken as a weak secret. */
const MIN_TOKEN_CHARS = 16;

export interface KeptToken {
  /** The secret itself: never log it, never put it in the status or an error. */
  readonly token: string;
  /** True when this call generated the file. */
  readonly created: boolean;
  /** True when an existing file was readable by others and was made owner-only. */
  readonly tightened: boolean;
}

/**
 * The token kept in `file`, or a new one (32 random bytes, base64url) written there with mode
 * 0600. The create is exclusive, so two processes racing never overwrite each other's token.
 * A file holding fewer than 16 characters (a crash between create and write, an edit) is
 * refused with `KORA_ERR_TOKEN_FILE`, saying how to get a new one.
 */
export function keptToken(file: string): KeptToken {
  mkdirSync(dirname(file), { recursive: true });
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return readKept(file);
  }
  const token = randomBytes(32).toString('base64url');
  try {
    writeSync(fd, `${token}\n`);
  } finally {
    closeSync(fd);
  }
  return { token, created: true, tightened: false };
}

function readKept(file: string): KeptToken {
  const token = readFileSync(file, 'utf8').trim();
  if (token.length < MIN_TOKEN_CHARS) {
    throw new KoraError('KORA_ERR_TOKEN_FILE', `${file} holds no token (fewer than ${MIN_TOKEN_CHARS} characters): delete it and restart to generate a new one`, { file });
  }
  let tightened = false;
  if ((statSync(file).mode & 0o077) !== 0) {
    chmodSync(file, 0o600);
    tightened = true;
  }
  return { token, created: false, tightened };
}

/** SHA-256 of a token: what a callers file keeps, and what `tokenMatcher` compares. */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * A comparer bound to `expected`: digests both sides and compares the digests in constant
 * time, so neither the content nor the length of the token leaks through timing.
 */
export function tokenMatcher(expected: string): (candidate: string | undefined) => boolean {
  const want = tokenDigest(expected);
  return (candidate) => typeof candidate === 'string' && candidate.length > 0 && timingSafeEqual(tokenDigest(candidate), want);
}
