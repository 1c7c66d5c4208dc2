import type { Tx } from '../db/index.ts';
import { raiseIncident, type IncidentDeps, type Raised } from './timeline.ts';

// Detectors that decide from counts other modules keep. The risk engine owns its decisions;
// it hands the hourly counts of refused or held decisions here, and this file decides whether
// they are a spike and raises the incident (one per live spike: later hours join it).

/** Hours of history the baseline is taken from. */
const RISK_SPIKE_BASELINE_HOURS = 24;
/** A spike is this many times the baseline's median hour, … */
const RISK_SPIKE_FACTOR = 5;
/** … and at least this many decisions in the hour, so a quiet night's 0 → 3 is not one. */
export const RISK_SPIKE_DECISIONS_MIN = 20;

export interface RiskHours {
  /** Fraud decisions (block or review) in the hour that just ended. */
  lastHour: number;
  /** The same count for each of the hours before it, newest first. */
  previousHours: readonly number[];
  at?: Date;
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The baseline (median of the previous hours) and whether the last hour is far above it. */
export function riskSpike(h: RiskHours): { spike: boolean; baseline: number } {
  const baseline = median(h.previousHours.slice(0, RISK_SPIKE_BASELINE_HOURS));
  const threshold = Math.max(RISK_SPIKE_DECISIONS_MIN, RISK_SPIKE_FACTOR * baseline);
  return { spike: h.lastHour >= threshold, baseline };
}

/** Raises (or joins) the risk-spike incident when the last hour is a spike. */
export async function checkRiskSpike(
  tx: Tx,
  deps: IncidentDeps,
  h: RiskHours,
): Promise<Raised | null> {
  const { spike, baseline } = riskSpike(h);
  if (!spike) return null;
  return raiseIncident(tx, deps, {
    detector: 'risk.spike',
    key: 'fraud_decisions_per_hour',
    kind: 'risk.fraud_spike',
    title: 'Fraud decisions far above normal',
    severity:
      h.lastHour >= 4 * Math.max(RISK_SPIKE_DECISIONS_MIN, RISK_SPIKE_FACTOR * baseline)
        ? 'critical'
        : 'high',
    summary: `${h.lastHour} fraud decisions in the last hour; the median hour was ${baseline}.`,
    detail: { last_hour: h.lastHour, baseline_median: baseline },
    at: h.at,
  });
}
