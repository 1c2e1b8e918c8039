/**
 * A strict reader of the Prometheus text exposition format (0.0.4), for tests that check what an
 * endpoint serves: every line is a `# HELP`, a `# TYPE` or a sample; a sample's metric has a TYPE;
 * label values are quoted and escaped; values are numbers. Throws with the line that is wrong.
 */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?$`);
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function parsePrometheusText(text: string): { samples: PromSample[]; types: Map<string, string> } {
  const types = new Map<string, string>();
  const samples: PromSample[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    if (line === '') return;
    if (line.startsWith('# HELP ')) {
      if (!new RegExp(`^# HELP ${NAME} `).test(line)) throw new Error(`bad HELP, ${where}`);
      return;
    }
    if (line.startsWith('# TYPE ')) {
      const [, , name = '', type = ''] = line.split(' ');
      if (!new RegExp(`^${NAME}$`).test(name) || !TYPES.has(type)) throw new Error(`bad TYPE, ${where}`);
      if (types.has(name)) throw new Error(`second TYPE for ${name}, ${where}`);
      types.set(name, type);
      return;
    }
    if (line.startsWith('#')) return;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample, ${where}`);
    const [, name = '', labelText, valueText = ''] = m;
    const labels: Record<string, string> = {};
    if (labelText) {
      LABEL.lastIndex = 0;
      while (LABEL.lastIndex < labelText.length) {
        const l = LABEL.exec(labelText);
        if (!l) throw new Error(`bad labels, ${where}`);
        labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      }
    }
    // Go's ParseFloat, as Prometheus reads them: NaN and Inf in any case.
    const value = /^nan$/i.test(valueText)
      ? Number.NaN
      : Number(valueText.replace(/^\+?inf$/i, 'Infinity').replace(/^-inf$/i, '-Infinity'));
    if (Number.isNaN(value) && !/^nan$/i.test(valueText)) throw new Error(`bad value, ${where}`);
    const family = [...types.keys()].find(
      (t) => name === t || name === `${t}_bucket` || name === `${t}_sum` || name === `${t}_count`,
    );
    if (!family) throw new Error(`sample without a TYPE, ${where}`);
    samples.push({ name, labels, value });
  });
  return { samples, types };
}
