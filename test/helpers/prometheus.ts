import { createRequire } from 'node:module';

// A Prometheus text-format parser other than the one that writes /metrics
// (parse-prometheus-text-format, a port of the Python client's parser), typed here. That
// parser folds a histogram with labels into one sample, so histograms are also read as their
// plain series (`_bucket`, `_sum`, `_count`, each with all its labels).

export interface Sample {
  value?: string;
  labels?: Record<string, string>;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}

export interface Family {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Sample[];
}

const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => Family[];

/**
 * Families by name, a histogram's `_bucket`, `_sum` and `_count` series among them; throws
 * when the text is not valid exposition format.
 */
export function parsePrometheus(text: string): Map<string, Family> {
  const out = new Map(parse(text).map((f) => [f.name, f]));
  const plain = text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped');
  const series = new Map<string, Family>();
  for (const f of parse(plain)) {
    const base = f.name.replace(/_(bucket|sum|count)$/, '');
    if (base === f.name || out.get(base)?.type !== 'HISTOGRAM') continue;
    const seen = series.get(f.name);
    if (seen) seen.metrics.push(...f.metrics);
    else series.set(f.name, { ...f, metrics: [...f.metrics] });
  }
  for (const [name, f] of series) out.set(name, f);
  return out;
}

/** The samples of one family whose labels include all of `labels`. */
export function samples(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): Sample[] {
  const family = families.get(name);
  if (!family) throw new Error(`no metric family ${name}`);
  return family.metrics.filter((m) =>
    Object.entries(labels).every(([k, v]) => m.labels?.[k] === v),
  );
}
