/** Parses "24h", "30m", "7d", "90s" or plain seconds into seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*([smhdw]?)$/.exec(text.trim());
  if (!m) throw new Error(`invalid duration "${text}" (use e.g. 90s, 30m, 24h, 7d)`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2] as '' | 's' | 'm' | 'h' | 'd' | 'w'];
  const seconds = Number(m[1]) * unit;
  if (seconds <= 0) throw new Error('duration must be positive');
  return seconds;
}

/** Parses "host:port", "[v6]:port" or ":port" (all interfaces). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) throw new Error(`invalid --listen "${text}" (use host:port, e.g. 127.0.0.1:8080)`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}
