import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Paths pino censors wherever they appear in a log object. Credentials and tokens must never
 * reach a log line, whatever the level (docs/architecture.md, "Conventions").
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'token',
  '*.token',
  'appCertificate',
  '*.appCertificate',
  'customerSecret',
  '*.customerSecret',
  'secretKey',
  '*.secretKey',
  'accessKey',
  '*.accessKey',
  'password',
  '*.password',
];

export interface CreateLoggerOptions {
  level?: LogLevel;
  /** `pretty` for a terminal, `json` for log shippers. */
  format?: 'json' | 'pretty';
  /** Where lines go; defaults to stdout. Tests pass a stream to capture them. */
  destination?: NodeJS.WritableStream;
}

/** Builds the process logger. Library code never creates one: it is injected (docs/architecture.md, "Conventions"). */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const base: LoggerOptions = {
    level: options.level ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  if (options.format === 'pretty' && !options.destination) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } },
    });
  }
  return options.destination ? pino(base, options.destination) : pino(base);
}

/** A logger that drops everything: the default for tests and for library calls without one. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}
