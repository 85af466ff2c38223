"""Parameter and fitted-state checks shared by the estimators: scikit-learn's conventions, the project's errors.

Estimators declare ``_parameter_constraints`` (scikit-learn's declarative format: types, ``Interval``,
``StrOptions``, ``None``) and call :func:`validate_params` first thing in ``fit``; predict-time methods call
:func:`check_fitted`.

Example
-------
>>> from numbers import Real
>>> from sklearn.base import BaseEstimator
>>> from sklearn.utils._param_validation import Interval
>>> class Shrink(BaseEstimator):
...     _parameter_constraints = {"alpha": [Interval(Real, 0, None, closed="left")]}
...     def __init__(self, alpha=1.0):
...         self.alpha = alpha
...     def fit(self, X, y):
...         validate_params(self)
...         return self
>>> Shrink(alpha=-1).fit([[0.0]], [0.0])
Traceback (most recent call last):
...
binn_graph.errors.ParameterError: The 'alpha' parameter of Shrink must be a float in the range [0.0, inf). Got -1 instead.
>>> check_fitted(Shrink(), "coef_")
Traceback (most recent call last):
...
binn_graph.errors.NotFittedError: this Shrink is not fitted yet; call fit(X, y) first
"""

from __future__ import annotations

from sklearn.exceptions import NotFittedError as _SklearnNotFitted
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted

from .errors import NotFittedError, ParameterError

__all__ = ["validate_params", "check_fitted"]


def validate_params(estimator) -> None:
    """Check the estimator's parameters against ``type(estimator)._parameter_constraints``.

    Raises :class:`~binn_graph.errors.ParameterError` naming the parameter, the accepted values and the value given.
    """
    try:
        estimator._validate_params()
    except InvalidParameterError as exc:
        raise ParameterError(str(exc)) from None


def check_fitted(estimator, attributes: str | list[str] = "model_", action: str = "call fit(X, y) first") -> None:
    """Raise :class:`~binn_graph.errors.NotFittedError` unless ``estimator`` has the fitted ``attributes``
    (scikit-learn's ``check_is_fitted``); ``action`` completes the message."""
    try:
        check_is_fitted(estimator, attributes)
    except _SklearnNotFitted:
        raise NotFittedError(f"this {type(estimator).__name__} is not fitted yet; {action}") from None
