/** What the emulator logs through: pino's shape, so the server can hand it its own logger. */
export interface EmulatorLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export const silentLogger: EmulatorLogger = { info() {}, warn() {}, error() {} };

/** One JSON object per line on stdout: what `agora-emulator` prints. */
export function jsonLineLogger(write: (line: string) => void = (line) => process.stdout.write(line)): EmulatorLogger {
  const log = (level: string) => (fields: object, message: string) => {
    const extra = Object.fromEntries(
      Object.entries(fields).map(([key, value]) => [key, value instanceof Error ? { message: value.message, stack: value.stack } : value]),
    );
    write(`${JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...extra })}\n`);
  };
  return { info: log('info'), warn: log('warn'), error: log('error') };
}
