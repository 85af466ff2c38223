"""Gene-protein-reaction (GPR) rules evaluated on expression: AND = min, OR = max (Culley et al., PNAS 2020).

For a rule such as ``(g1 and g2) or g3`` and a sample with levels ``x``:
``a = max(min(x_g1, x_g2), x_g3)``. A gene absent from the expression is left
out of its ``and``/``or`` (the rule is evaluated on the genes that are
measured) and reported; a rule whose genes are all absent gives NaN (the
reaction is left unconstrained). Evaluation is vectorised over samples.
"""

from __future__ import annotations

import ast
import re

import numpy as np
import pandas as pd

from .errors import ExpressionError

__all__ = ["evaluate_gpr", "check_expression", "GPRReport"]

_TOKEN = re.compile(r"\(|\)|[^\s()]+")


class GPRReport(dict):
    """What GPR evaluation could not use: ``missing_genes`` (rule genes absent from the expression, sorted) and
    ``unevaluated_reactions`` (reactions whose genes are all absent). A plain ``dict``."""


def check_expression(expression: pd.DataFrame, what: str = "expression") -> pd.DataFrame:
    """Validate a samples × genes table: a DataFrame, unique sample and gene ids, numeric, no negative values.

    Returns it as float64. Raises :class:`ExpressionError` naming the first duplicated id or bad column.
    """
    if not isinstance(expression, pd.DataFrame):
        raise ExpressionError(f"{what} must be a pandas DataFrame (samples × gene ids), got "
                              f"{type(expression).__name__}")
    for axis, name in ((expression.columns, "gene"), (expression.index, "sample")):
        dup = axis[axis.duplicated()]
        if len(dup):
            raise ExpressionError(f"{what} has duplicated {name} id(s) {list(map(str, dup[:5]))}; aggregate or "
                                  f"rename them first (values are matched by id)")
    try:
        values = expression.astype(float)
    except (TypeError, ValueError):
        bad = [c for c in expression.columns if not pd.api.types.is_numeric_dtype(expression[c])][:5]
        raise ExpressionError(f"{what} has non-numeric column(s) {bad}; give numbers") from None
    if (values < 0).any().any():
        bad = values.columns[(values < 0).any()][:5].tolist()
        raise ExpressionError(f"{what} has negative values in {bad}; GPR scaling needs non-negative levels "
                              "(un-log the data, e.g. 2**x)")
    values.columns = values.columns.astype(str)
    return values


def _parse(rule: str):
    """Rule text → nested tuples ``("and"|"or", [children])`` or a gene id string (Python's own parser)."""
    text = " ".join(t if t in ("(", ")", "and", "or", "AND", "OR") else f"_g[{t!r}]" for t in _TOKEN.findall(rule))
    tree = ast.parse(text.replace(" AND ", " and ").replace(" OR ", " or "), mode="eval").body

    def walk(node):
        if isinstance(node, ast.BoolOp):
            return ("and" if isinstance(node.op, ast.And) else "or", [walk(v) for v in node.values])
        return node.slice.value
    return walk(tree)


def _evaluate(node, columns: dict[str, np.ndarray], missing: set[str]):
    if isinstance(node, str):
        if node in columns:
            return columns[node]
        missing.add(node)
        return None
    op, children = node
    values = [v for v in (_evaluate(c, columns, missing) for c in children) if v is not None]
    if not values:
        return None
    stack = np.vstack(values)
    return stack.min(axis=0) if op == "and" else stack.max(axis=0)


def evaluate_gpr(rules: pd.Series | dict, expression: pd.DataFrame) -> tuple[pd.DataFrame, GPRReport]:
    """Reaction activities from gene levels: samples × reactions, AND = min, OR = max.

    Parameters
    ----------
    rules:
        Reaction id → rule text (``""`` or NaN when a reaction has no rule).
    expression:
        Samples × gene ids, non-negative (see :func:`check_expression`); genes matched by id.

    Returns
    -------
    activities, report:
        ``activities`` has NaN for reactions with no rule or no measured gene; ``report`` is a :class:`GPRReport`.
    """
    expression = check_expression(expression)
    columns = {g: expression[g].to_numpy() for g in expression.columns}
    rules = pd.Series(rules, dtype=object)
    out = np.full((len(expression), len(rules)), np.nan)
    missing: set[str] = set()
    unevaluated = []
    for j, (rid, rule) in enumerate(rules.items()):
        if not isinstance(rule, str) or not rule.strip():
            continue
        value = _evaluate(_parse(rule), columns, missing)
        if value is None:
            unevaluated.append(rid)
        else:
            out[:, j] = value
    report = GPRReport(missing_genes=sorted(missing), unevaluated_reactions=unevaluated)
    return pd.DataFrame(out, index=expression.index, columns=rules.index), report
