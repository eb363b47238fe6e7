/**
 * The risk scorer: online features (features.ts) fed to the shipped logistic regression (model.ts),
 * with the features that raised the score most named as its reasons.
 */

import { parseEventLine, type RiskEvent, toRiskEvent } from './event.ts';
import { FEATURES, type FeatureLimits, FeatureState } from './features.ts';
import shipped from './model.json' with { type: 'json' };
import { checkModel, type LogisticModel, predict } from './model.ts';

/** A score and why. */
export interface RiskResult {
  /** Probability-like risk from 0 (none) to 1. */
  readonly score: number;
  /** Feature names (never personal data) that raised the score most, largest first. */
  readonly reasons: readonly string[];
}

/** Options of `RiskScorer`. */
export interface RiskScorerOptions extends FeatureLimits {
  /** Another trained model (same features); default the shipped one. */
  readonly model?: LogisticModel;
  /** Reasons returned at most. Default 3. */
  readonly maxReasons?: number;
}

/** The model shipped with this version, checked once at first use. */
let defaultModel: LogisticModel | undefined;

/** The shipped, checked model (`src/risk/model.json`, made by `scripts/train-risk.ts`). */
export function shippedModel(): LogisticModel {
  defaultModel ??= checkModel(shipped, FEATURES);
  return defaultModel;
}

/**
 * Scores sign-ins and sensitive operations one by one, in time order: each score uses only the
 * events scored before it (the event itself is compared with them, then remembered). Deterministic:
 * the same events in the same order give the same scores.
 *
 * @example
 * const scorer = new RiskScorer();
 * const { score, reasons } = scorer.score({ time: '2026-01-05T10:00:00Z', user: 'p1', action: 'login', success: true });
 */
export class RiskScorer {
  readonly #state: FeatureState;
  readonly #model: LogisticModel;
  readonly #maxReasons: number;
  readonly #contrib = new Float64Array(FEATURES.length);

  constructor(options: RiskScorerOptions = {}) {
    this.#model = options.model === undefined ? shippedModel() : checkModel(options.model, FEATURES);
    this.#maxReasons = options.maxReasons ?? 3;
    if (!Number.isSafeInteger(this.#maxReasons) || this.#maxReasons < 0)
      throw new RangeError('maxReasons must be a non-negative integer');
    this.#state = new FeatureState(options);
  }

  /** Scores one event (a parsed JSON object; validated here, VERITY_E_RISK_EVENT_INVALID when malformed). */
  score(event: unknown): RiskResult {
    return this.scoreEvent(toRiskEvent(event));
  }

  /** Scores one JSON line of the `verity risk score` input format. */
  scoreLine(line: string): RiskResult {
    return this.scoreEvent(parseEventLine(line));
  }

  /** Scores an already validated event. */
  scoreEvent(e: RiskEvent): RiskResult {
    const x = this.#state.extract(e);
    const c = this.#contrib;
    const p = predict(this.#model, x, c);
    const top: number[] = [];
    for (let k = 0; k < c.length; k++) {
      if ((c[k] as number) <= 0) continue;
      top.push(k);
      top.sort((a, b) => (c[b] as number) - (c[a] as number) || a - b);
      if (top.length > this.#maxReasons) top.pop();
    }
    // Not rounded: ranking needs the resolution (rounding ties most events at 0 or 1).
    return { score: p, reasons: top.map((k) => FEATURES[k] as string) };
  }
}

/**
 * The score as the policies see it (`context.risk`, an integer percentage): floor(score × 100), so
 * a policy threshold of 70 means a score of at least 0.7.
 */
export function policyRisk(score: number): number {
  if (!Number.isFinite(score) || score < 0 || score > 1) throw new RangeError('a risk score is from 0 to 1');
  return Math.min(100, Math.floor(score * 100 + 1e-9));
}
