/**
 * Risk scoring of sign-ins and sensitive operations (FGMV-46 7.1.6): online features from the
 * events before each one, a logistic regression trained on the project's labeled generator, and
 * the features that raised each score named as its reasons.
 */
export type { RiskEvent } from './event.ts';
export { isSignIn, MAX_EVENT_LINE, parseEventLine, toRiskEvent } from './event.ts';
export type { FeatureLimits, FeatureName } from './features.ts';
export { FEATURES, FeatureState, haversineKm } from './features.ts';
export type { GeneratorOptions, LabeledEvent } from './generator.ts';
export { eventLine, generateEvents, PATTERNS, prng } from './generator.ts';
export { precisionAtRecall, rocAuc } from './metrics.ts';
export type { FitOptions, LogisticModel } from './model.ts';
export { checkModel, fitLogistic, predict, sigmoid, standardisation } from './model.ts';
export type { RiskResult, RiskScorerOptions } from './scorer.ts';
export { policyRisk, RiskScorer, shippedModel } from './scorer.ts';
