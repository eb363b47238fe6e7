"""Reference fits for src/risk/model.ts: L2-penalised logistic regression solved by SciPy's
L-BFGS-B (an independent implementation and algorithm), written to
test/vectors/logreg/reference.json. Run: python3 scripts/logreg-reference.py"""
import json

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

rng = np.random.default_rng(20260105)
n, d = 400, 4
X = rng.normal(size=(n, d))
true_w = np.array([1.5, -2.0, 0.0, 0.7])
y = (rng.random(n) < expit(0.3 + X @ true_w)).astype(float)
weights = rng.uniform(0.5, 3.0, size=n)


def fit(l2, w=None, bounds=None):
    w = np.ones(n) if w is None else w

    def loss(beta):
        z = beta[0] + X @ beta[1:]
        # -(weighted log-likelihood) + l2/2 |w|^2, with log(1+e^z) computed stably
        ll = np.sum(w * (y * z - np.logaddexp(0, z)))
        return -ll + 0.5 * l2 * np.sum(beta[1:] ** 2)

    def grad(beta):
        z = beta[0] + X @ beta[1:]
        r = w * (y - expit(z))
        g = np.concatenate([[-np.sum(r)], -(X.T @ r) + l2 * beta[1:]])
        return g

    res = minimize(loss, np.zeros(d + 1), jac=grad, method="L-BFGS-B", bounds=bounds,
                   options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10000})
    return {"intercept": float(res.x[0]), "coefficients": [float(v) for v in res.x[1:]]}


out = {
    "source": "scripts/logreg-reference.py (SciPy L-BFGS-B, numpy seed 20260105)",
    "rows": [[round(float(v), 12) for v in r] for r in X],
    "labels": [int(v) for v in y],
    "weights": [round(float(v), 12) for v in weights],
    "fits": {
        "l2=0": fit(0.0),
        "l2=5": fit(5.0),
        "l2=5,weighted": fit(5.0, weights),
        "l2=5,nonNegative": fit(5.0, None, [(None, None)] + [(0, None)] * d),
    },
}
with open("test/vectors/logreg/reference.json", "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print(json.dumps(out["fits"], indent=1))
