// HMAC-SHA256 signatures compared in constant time, shared by the built-in sources.
import { createHmac, timingSafeEqual } from 'node:crypto';

const SHA256_HEX = /^[0-9a-f]{64}$/i;

export function hmacSha256(secret: string, ...parts: (string | Buffer)[]): Buffer {
  const mac = createHmac('sha256', secret);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** True when `hex` is the hex of `expected`. Anything but 64 hex digits is false without a comparison. */
export function hexDigestMatches(hex: string, expected: Buffer): boolean {
  if (!SHA256_HEX.test(hex)) return false;
  return timingSafeEqual(Buffer.from(hex, 'hex'), expected);
}
