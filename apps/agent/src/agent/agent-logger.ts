import { type Logger, pino } from 'pino';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The agent's logger, whose level can change while it runs (`rtcmesh set --log-level`). A pino child
 * takes its parent's level when it is made and keeps it, so every child (components make theirs at
 * start) is remembered, weakly, and set along with the root.
 */
export class AgentLogger {
  readonly logger: Logger;
  private readonly children = new Set<WeakRef<Logger>>();

  constructor(level: LogLevel) {
    this.logger = pino({
      level,
      base: { svc: 'rtcmesh' },
      onChild: (child) => {
        this.children.add(new WeakRef(child));
      },
    });
  }

  get level(): LogLevel {
    return this.logger.level as LogLevel;
  }

  setLevel(level: LogLevel): void {
    this.logger.level = level;
    for (const ref of this.children) {
      const child = ref.deref();
      if (child) child.level = level;
      else this.children.delete(ref);
    }
  }
}

export function isLogLevel(v: string): v is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(v);
}
