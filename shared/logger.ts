/**
 * Structured logs, one JSON object per line. Callers pass only non-personal fields: ids,
 * route keys, statuses, error names, and unexpected errors through `errorFields` (which masks
 * emails and tokens). Never bodies, tokens, emails or field values.
 */
type Level = 'debug' | 'info' | 'warn' | 'error';
type Fields = Readonly<Record<string, string | number | boolean | undefined>>;

const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const threshold = ORDER[(process.env.LOG_LEVEL?.toLowerCase() as Level | undefined) ?? 'info'] ?? ORDER.info;

function write(level: Level, message: string, fields: Fields): void {
  if (ORDER[level] < threshold) return;
  const line = JSON.stringify({ level, time: new Date().toISOString(), message, ...fields });
  if (level === 'error' || level === 'warn') process.stderr.write(line + '\n');
  else process.stdout.write(line + '\n');
}

const EMAIL = /[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+\.[^\s@"'<>(),;:]+/g;
const TOKEN = /\beyJ[\w-]*\.[\w-]+\.[\w-]*|\bBearer\s+\S+/g;
const MAX_TEXT = 4000;

function masked(text: string): string {
  return text.replace(TOKEN, '[token]').replace(EMAIL, '[email]').slice(0, MAX_TEXT);
}

/**
 * An unexpected error as log fields: name, message and stack, so an operator can find the
 * fault. Messages of SDK and runtime errors can quote input, so email addresses and tokens in
 * them are masked; our own errors carry ids, never personal data.
 */
export function errorFields(error: unknown): Fields {
  if (!(error instanceof Error)) return { error: typeof error };
  return {
    error: error.name,
    errorMessage: masked(error.message),
    stack: error.stack === undefined ? undefined : masked(error.stack),
  };
}

export const logger = {
  debug: (message: string, fields: Fields = {}) => write('debug', message, fields),
  info: (message: string, fields: Fields = {}) => write('info', message, fields),
  warn: (message: string, fields: Fields = {}) => write('warn', message, fields),
  error: (message: string, fields: Fields = {}) => write('error', message, fields),
};
