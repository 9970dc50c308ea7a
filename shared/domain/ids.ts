import { monotonicFactory } from 'ulid';

const next = monotonicFactory();

/** Server-generated ids: ULIDs (128 bits, 80 of them random; URL-safe; sortable by time). */
export function newId(): string {
  return next();
}

const ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export function isId(value: string): boolean {
  return ID_PATTERN.test(value);
}
