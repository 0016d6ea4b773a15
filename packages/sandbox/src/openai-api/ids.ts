import { randomBytes } from 'node:crypto';

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** The prefix followed by `length` letters and digits, as OpenAI's ids are made. */
export function randomId(prefix: string, length: number): string {
  // Joined once rather than appended a character at a time: an appended string stays a chain of
  // pieces in V8, about 1 KB per id, which the audit log would hold 200,000 times.
  const chars: string[] = [];
  while (chars.length < length) {
    for (const byte of randomBytes(length)) {
      // Bytes from 248 up are dropped so each of the 62 characters is equally likely.
      if (byte < 248 && chars.length < length) chars.push(ID_ALPHABET[byte % ID_ALPHABET.length] as string);
    }
  }
  return prefix + chars.join('');
}
