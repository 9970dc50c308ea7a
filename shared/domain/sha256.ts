/**
 * Hex SHA-256 of a string's UTF-8: how the product names a value it must not keep in clear — an
 * erased organization's deletion record and the logs about organizations (`orgIdHash`), the
 * stored hash of a link token.
 */
import { createHash } from 'node:crypto';

export const sha256Hex = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');
