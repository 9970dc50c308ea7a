/**
 * Structured logs, one JSON object per line. Callers pass only non-personal fields: ids,
 * route keys, statuses, error names. Never bodies, tokens, emails or field values.
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

export const logger = {
  debug: (message: string, fields: Fields = {}) => write('debug', message, fields),
  info: (message: string, fields: Fields = {}) => write('info', message, fields),
  warn: (message: string, fields: Fields = {}) => write('warn', message, fields),
  error: (message: string, fields: Fields = {}) => write('error', message, fields),
};
