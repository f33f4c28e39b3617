"""CEL0Regression against brute force over all supports, and the hard-concrete gates: sampler against the
closed-form CDF and P(z != 0) by Monte Carlo, support recovery, scikit-learn compatibility."""
import warnings

import numpy as np
import pytest
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import check_estimator

from sparseopt.l0.relaxations import (CEL0Regression, HardConcreteClassifier, HardConcreteRegression,
                                      expected_l0, hard_concrete_cdf, hard_concrete_sample)
from sparseopt.penalties import CEL0
from test_l0 import brute_force, correlated_instance, l0_objective


def test_cel0_thresholded_objective_against_brute_force():
    """The relaxed objective at the CEL0 point is never below the L0 optimum (CEL0 keeps the same minimum);
    the thresholded, refitted point is an L0 point whose objective we compare with the global optimum."""
    hits, n_instances, lambda0 = 0, 50, 0.05
    for seed in range(n_instances):
        X, y = correlated_instance(seed, n=40, p=10, rho=0.3)
        model = CEL0Regression(lambda0, fit_intercept=False).fit(X, y)
        optimum = brute_force(X, y, lambda0)
        norms = np.sqrt((X ** 2).sum(0) / len(y))
        relaxed = l0_objective(X, y, model.relaxed_coef_) + CEL0(lambda0, norms).value(model.relaxed_coef_)
        assert relaxed >= optimum - 1e-10
        ours = l0_objective(X, y, model.coef_, lambda0)
        assert ours >= optimum - 1e-10
        assert ours <= relaxed + 1e-8  # thresholding + refit never raises the objective
        hits += ours <= optimum * (1 + 1e-9)
    print(f"CEL0 + thresholding reached the L0 optimum in {hits}/{n_instances} instances")
    assert hits >= 0.8 * n_instances


def test_hard_concrete_sampler_matches_cdf_and_nonzero_probability():
    for log_alpha in (-1.5, 0.0, 2.0):
        gates = hard_concrete_sample(np.full(1, log_alpha), 200_000, random_state=0)[:, 0]
        assert gates.min() >= 0 and gates.max() <= 1
        for t in (0.0, 0.1, 0.3, 0.5, 0.8, 0.999):
            assert np.mean(gates <= t) == pytest.approx(hard_concrete_cdf(t, log_alpha), abs=4e-3)
        # P(z != 0) in closed form, written out independently: sigmoid(log alpha - beta log(-gamma / zeta))
        closed_form = expit(log_alpha - 2 / 3 * np.log(0.1 / 1.1))
        assert np.mean(gates > 0) == pytest.approx(closed_form, abs=4e-3)
        assert expected_l0(np.full(3, log_alpha)) == pytest.approx(3 * closed_form, rel=1e-12)
    # the numbers of Louizos et al.'s construction at log alpha = 0: P(z != 0) = 0.832, P(z = 1) = 0.168
    assert expected_l0(np.zeros(1)) == pytest.approx(0.832, abs=1e-3)
    assert 1 - hard_concrete_cdf(0.9999999, 0.0) == pytest.approx(0.168, abs=1e-3)


def test_hard_concrete_recovers_an_easy_support():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 20))
    coef = np.zeros(20)
    coef[[1, 5, 9]] = [2.0, -2.0, 1.5]
    y = X @ coef + 0.5 * rng.standard_normal(300) + 1.0
    model = HardConcreteRegression(0.02, random_state=0).fit(X, y)
    np.testing.assert_array_equal(np.flatnonzero(model.coef_), [1, 5, 9])
    np.testing.assert_allclose(model.coef_[[1, 5, 9]], coef[[1, 5, 9]], atol=0.15)
    labels = (X @ coef + 0.3 * rng.standard_normal(300) > 0).astype(int)
    classifier = HardConcreteClassifier(0.02, random_state=0).fit(X, labels)
    np.testing.assert_array_equal(np.flatnonzero(classifier.coef_), [1, 5, 9])
    assert classifier.score(X, labels) > 0.9


def test_hard_concrete_max_epochs_warns():
    X, y = correlated_instance(0)
    with pytest.warns(ConvergenceWarning, match="max_epochs=2"):
        HardConcreteRegression(max_epochs=2, random_state=0).fit(X, y)


@pytest.mark.parametrize("estimator", [CEL0Regression(0.01, max_iter=200), HardConcreteRegression(random_state=0, max_epochs=30),
                                       HardConcreteClassifier(random_state=0, max_epochs=30)])
def test_check_estimator(estimator):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check_estimator(estimator)
