import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

/** Anything shaped like an OpenAI key (sk-..., sk-admin-..., sk-proj-...). */
const KEY_SHAPE = /\bsk-[A-Za-z0-9_-]{4,}/g;

/** Replaces every OpenAI-key-shaped substring; used on any text that may leave the process. */
export function redactSecrets(text: string): string {
  return text.replace(KEY_SHAPE, 'sk-[REDACTED]');
}

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return {
      type: value.name,
      message: redactSecrets(value.message),
      stack: value.stack && redactSecrets(value.stack),
    };
  }
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = /^(authorization|x-api-key|api[-_]?key|admin[-_]?key|token|bearer)$/i.test(k)
      ? '[REDACTED]'
      : scrub(v, depth + 1);
  }
  return out;
}

export interface LoggerSettings {
  level: string;
  name?: string;
}

/**
 * JSON logs for the operator. Authorization headers and anything that looks like an OpenAI key
 * are redacted in every field and in the message, whatever the caller passes in.
 */
export function createLogger(settings: LoggerSettings, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    base: { name: settings.name ?? 'checkpoint-share' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: ['*.headers.authorization', '*.headers.Authorization', 'headers.authorization', 'authorization'],
      censor: '[REDACTED]',
    },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => scrub(a)) as Parameters<typeof method>);
      },
    },
    serializers: { err: (e: unknown) => scrub(e) },
  };
  // Synchronous stdout: the last lines before an exit (shutdown, lost leadership, a crash) must
  // not sit in a buffer that process.exit() discards.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
}
