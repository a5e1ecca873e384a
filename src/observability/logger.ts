import { pino, type Logger } from 'pino';

/**
 * Structured JSON logs. Credentials are redacted by path wherever they might be logged
 * (headers, connection settings, tokens); code must still never put a secret in a message.
 */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { service: 'liandong', ...bindings },
    redact: {
      paths: [
        'req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'authorization',
        'connectionParams.authorization', 'password', '*.password', 'token', '*.token', 'secret', '*.secret',
        'databaseUrl', '*.databaseUrl',
      ],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
export type { Logger };
