/**
 * AUDIT_CHECKPOINT_SECONDS is refused at cold start when its signing interval would not lapse a
 * failed request's claim before the checkpoint queue delivers it again (docs/decisions/0021).
 */
import { ConfigError, env } from '../../../shared/config.ts';
import {
  MAX_CHECKPOINT_MAX_AGE_SECONDS,
  MIN_CHECKPOINT_MAX_AGE_SECONDS,
} from '../../../shared/domain/audit-checkpoint.ts';

const withAge = (value: string | undefined): number => {
  const before = process.env.AUDIT_CHECKPOINT_SECONDS;
  if (value === undefined) delete process.env.AUDIT_CHECKPOINT_SECONDS;
  else process.env.AUDIT_CHECKPOINT_SECONDS = value;
  try {
    return env.auditCheckpointSeconds();
  } finally {
    if (before === undefined) delete process.env.AUDIT_CHECKPOINT_SECONDS;
    else process.env.AUDIT_CHECKPOINT_SECONDS = before;
  }
};

test.each([
  [undefined, 10],
  [String(MIN_CHECKPOINT_MAX_AGE_SECONDS), MIN_CHECKPOINT_MAX_AGE_SECONDS],
  [String(MAX_CHECKPOINT_MAX_AGE_SECONDS), MAX_CHECKPOINT_MAX_AGE_SECONDS],
])('AUDIT_CHECKPOINT_SECONDS=%s is accepted as %i', (value, seconds) => {
  expect(withAge(value)).toBe(seconds);
});

test.each([
  String(MAX_CHECKPOINT_MAX_AGE_SECONDS + 1),
  '3600',
  String(MIN_CHECKPOINT_MAX_AGE_SECONDS - 1),
  '9.5',
])('AUDIT_CHECKPOINT_SECONDS=%s is refused, naming the variable', (value) => {
  expect(() => withAge(value)).toThrow(ConfigError);
  expect(() => withAge(value)).toThrow(
    /^AUDIT_CHECKPOINT_SECONDS must be a whole number of seconds from \d+ to \d+$/,
  );
});
