import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isVerityError } from '../errors/index.ts';
import { FEATURES } from './features.ts';
import { checkModel, fitLogistic, predict, sigmoid, standardisation } from './model.ts';
import { shippedModel } from './scorer.ts';

// Fits by SciPy's L-BFGS-B on the same data (scripts/logreg-reference.py).
const REF = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'test', 'vectors', 'logreg', 'reference.json'), 'utf8'),
) as {
  rows: number[][];
  labels: number[];
  weights: number[];
  fits: Record<string, { intercept: number; coefficients: number[] }>;
};

function close(
  actual: { intercept: number; coefficients: number[] },
  want: { intercept: number; coefficients: number[] },
) {
  assert.ok(Math.abs(actual.intercept - want.intercept) < 1e-6, `intercept ${actual.intercept} != ${want.intercept}`);
  for (const [k, c] of actual.coefficients.entries())
    assert.ok(
      Math.abs(c - (want.coefficients[k] as number)) < 1e-6,
      `coefficient ${k}: ${c} != ${want.coefficients[k]}`,
    );
}

describe('logistic regression', () => {
  const rows = REF.rows.map((r) => Float64Array.from(r));

  it('matches the closed form for one binary feature (no penalty): logits of the two groups', () => {
    // Group x=0: 3 of 10 positive; x=1: 8 of 10. MLE: b = logit(0.3), w = logit(0.8) - logit(0.3).
    const x: Float64Array[] = [];
    const y: number[] = [];
    for (let i = 0; i < 10; i++) {
      x.push(Float64Array.of(0));
      y.push(i < 3 ? 1 : 0);
      x.push(Float64Array.of(1));
      y.push(i < 8 ? 1 : 0);
    }
    const logit = (p: number) => Math.log(p / (1 - p));
    const fit = fitLogistic(x, y, { l2: 0 });
    close(fit, { intercept: logit(0.3), coefficients: [logit(0.8) - logit(0.3)] });
  });

  it('matches SciPy L-BFGS-B without and with an L2 penalty', () => {
    close(fitLogistic(rows, REF.labels, { l2: 0 }), REF.fits['l2=0']!);
    close(fitLogistic(rows, REF.labels, { l2: 5 }), REF.fits['l2=5']!);
  });

  it('matches SciPy with sample weights', () => {
    close(fitLogistic(rows, REF.labels, { l2: 5, weights: REF.weights }), REF.fits['l2=5,weighted']!);
  });

  it('with nonNegative, reaches the bound-constrained optimum SciPy finds', () => {
    close(fitLogistic(rows, REF.labels, { l2: 5, nonNegative: true }), REF.fits['l2=5,nonNegative']!);
  });

  it('sigmoid stays finite and symmetric at the extremes', () => {
    assert.equal(sigmoid(1000), 1);
    assert.equal(sigmoid(-1000), 0);
    assert.ok(Math.abs(sigmoid(3) + sigmoid(-3) - 1) < 1e-15);
  });

  it('standardises to mean 0 and scale 1, a constant column to scale 1', () => {
    const s = standardisation([Float64Array.of(1, 5), Float64Array.of(3, 5)]);
    assert.deepEqual(s, { mean: [2, 5], scale: [1, 1] });
  });

  it('contributions are coefficient times the standardised value, and sum to the log-odds', () => {
    const m = shippedModel();
    const x = Float64Array.from(FEATURES, (_, k) => (k % 3 === 0 ? 1 : 0));
    const c = new Float64Array(FEATURES.length);
    const p = predict(m, x, c);
    const z = m.intercept + c.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(p - sigmoid(z)) < 1e-12);
    for (let k = 0; k < x.length; k++)
      assert.ok(
        Math.abs(
          (c[k] as number) -
            ((m.coefficients[k] as number) * ((x[k] as number) - (m.mean[k] as number))) / (m.scale[k] as number),
        ) < 1e-12,
      );
  });

  it('refuses a model that does not fit this version (VERITY_E_RISK_MODEL_INVALID)', () => {
    const m = shippedModel();
    for (const bad of [
      null,
      [],
      { ...m, kind: 'gbdt' },
      { ...m, features: [...m.features].reverse() },
      { ...m, coefficients: m.coefficients.slice(1) },
      { ...m, intercept: Number.NaN },
      { ...m, scale: m.scale.map(() => 0) },
    ])
      assert.throws(
        () => checkModel(bad, FEATURES),
        (e) => isVerityError(e, 'VERITY_E_RISK_MODEL_INVALID'),
      );
    assert.equal(checkModel(JSON.parse(JSON.stringify(m)), FEATURES).intercept, m.intercept);
  });
});
