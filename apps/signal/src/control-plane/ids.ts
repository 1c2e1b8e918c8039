import { randomToken } from '../auth/secrets.js';

/** A new id: the prefix, a dash and 9 random characters from [a-z0-9] ("n-3k9x0q2mz"). */
export function newId(prefix: string): string {
  return `${prefix}-${randomToken(9)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '0')}`;
}
