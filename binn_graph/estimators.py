"""scikit-learn estimators: :class:`BINNClassifier` and :class:`BINNRegressor`.

``fit(X, y)`` takes a DataFrame whose columns are node ids of the input type;
columns are matched to the graph by name (numpy arrays get names ``x0, x1, …``).
Imputation and scaling are fit on the training rows only, after the internal
validation split used for early stopping. The fitted estimator exposes the torch
module (``model_``), the compiled graph (``architecture_``) and the build report
(``report_``).

Example
-------
>>> from binn_graph.datasets import load_aki
>>> from kg.datasets import reactome_files
>>> from kg.sources import reactome
>>> aki = load_aki()
>>> clf = BINNClassifier(reactome.load(**reactome_files()), max_epochs=5, random_state=0).fit(aki.X, aki.y)
>>> clf.predict_proba(aki.X.iloc[:2]).shape
(2, 2)
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from os import PathLike

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_array, column_or_1d

from kg import KnowledgeGraph

from .architecture import Architecture
from .errors import CheckpointError, DataValidationError, FeatureMismatchError, ParameterError, TargetError
from .model import BINN
from .nn.level_block import ACTIVATIONS
from .preprocessing import (
    IMPUTE_MODES,
    InputPreprocessor,
    align_columns,
    as_frame,
    check_no_empty_columns,
    empty_columns,
)
from .threads import intra_op_threads
from .training import Trainer, load_checkpoint, resolve_device, save_checkpoint, to_tensor
from .validation import check_fitted, validate_params

__all__ = ["BINNClassifier", "BINNRegressor", "BINNEstimator"]

_PARAMETERS_DOC = """
    Parameters
    ----------
    graph : KnowledgeGraph
        The :class:`~kg.KnowledgeGraph` to compile (required by ``fit``; not stored by :meth:`save`).
    input_type : str or list of str, default "protein"
        Node type(s) of X's columns (``"protein"``, ``"snp"``, ``["protein", "metabolite"]`` ...).
    mode : {"dag", "layered"}, default "dag"
        ``"dag"``: the whole hierarchy, levels by longest path. ``"layered"``: ``n_levels`` levels below the root
        with copy nodes (binn/P-NET compatible).
    n_levels : int, default None
        Levels below the root in layered mode.
    node_width : int or dict, default 1
        Units per latent node, or ``{node_type: units}``.
    activation : {"tanh", "relu", "sigmoid", "elu", "leaky_relu", "identity"}, default "tanh"
        Activation of every latent level.
    norm : {"batch", None}, default "batch"
        Batch normalisation per latent unit (its shift replaces the level's bias).
    dropout : float in [0, 1), default 0.0
        Dropout after normalisation.
    heads : {"root", "all_levels"}, default "root"
        ``"all_levels"`` adds a linear readout per latent level (binn's heads ensemble; logits are summed).
    impute : {"mean", "zero", "mask"}, default "mean"
        Missing inputs: training-row mean, zero, or value plus a missingness indicator per input.
    scale : bool, default True
        Standardise inputs with training-row statistics.
    max_epochs : int, default 200
        Epoch cap; a fit that reaches it while still improving warns (``ConvergenceWarning``).
    batch_size : int, default 32
        Samples per optimiser step.
    lr : float, default 1e-2
        Adam's learning rate, halved on a validation plateau.
    weight_decay : float, default 0.1
        Adam's coupled L2 on every parameter, batch-norm scales included: it prunes nodes whose signal is weak
        (their importance is then 0; see :meth:`binn_graph.training.Trainer.optimizer`).
    l1, l2 : float, default 0.0
        L1 / L2 penalties on the edge weights.
    patience : int, default 20
        Early stopping after this many epochs without validation improvement.
    validation_fraction : float in [0, 1), default 0.2
        Share of the training rows (stratified for classifiers) held out for early stopping; 0 trains on all rows
        for ``max_epochs``. ``fit(..., validation_data=(X_val, y_val))`` gives the rows explicitly.{class_weight}
    strict : bool, default False
        Raise when a column is not a node of the graph (default: report it in ``report_`` and ignore it).
    empty_columns : {"warn", "report", "raise"}, default "warn"
        Input columns with no value in the rows given to ``fit`` (a rare protein unobserved in a CV training fold):
        ``"warn"`` imputes them at the centre, counts them in ``report_`` and warns naming them; ``"report"`` does
        the same silently; ``"raise"`` refuses them.
    kernel : {"auto", "csr", "gather"}, default "auto"
        Sparse kernel of the edge layers.
    node_hidden : dict, default None
        Per-node subnetworks, e.g. ``{"gene": [128]}``: each gene is "its SNPs → 128 → 1" (Kontolati et al.
        2025).
    subnetwork_activation : str, default "sigmoid"
        Activation inside those subnetworks.
    integrator : list of int, default None
        Hidden widths of a dense network over the nodes feeding the output (e.g. ``[128]``), added to the sparse
        root readout.
    target_type : str, default "pathway"
        Node type whose top nodes feed the output (``"gene"`` for SNP → gene → phenotype).
    relations : list of str, optional
        Relations compiled into layers (default: ``member_of``, ``part_of``, ``affects``, ``encodes``, ``catalyzes``,
        ``participates_in``; see :meth:`~binn_graph.architecture.Architecture.from_graph`).
    reverse : list of str, default ()
        Relations followed against their stored direction (``mode="dag"``), e.g. ``["cleaved_to"]`` so that a
        peptide feeds the fragment it was cleaved from and, at the top, its protein
        (:func:`binn_graph.degradation.peptidome_graph`).
    residual : bool, default False
        Feed input columns that are graph nodes outside every mask straight to the output (dag mode).
    residual_l2 : float, default 1.0
        Ridge penalty ``residual_l2 · Σ w²`` on those residual weights.
    soft_constraint : float, default 0.0
        λ of the soft constraint on measured intermediates; pass ``latent_targets`` to :meth:`fit` (see
        :mod:`binn_graph.soft_constraint`).
    random_state : int, RandomState or None, default None
        Seed of the validation split, the initialisation and the batch order.
    n_threads : int or None, default 1
        Torch intra-op threads while fitting, predicting and explaining; None keeps torch's setting (all cores).
        One thread is the default: BINN steps are short, and when another process shares the cores more threads
        make them several times slower (see :mod:`binn_graph.threads`).
    n_jobs : int or None, default None
        Workers for the refits built on this estimator (null refits, stability seeds, nested-CV members), through
        :func:`binn_graph.parallel.run_tasks` (scikit-learn's convention: None = one unless a
        ``joblib.parallel_config`` context says otherwise, -1 = every core). A single ``fit`` is not split.
    device : {"cpu", "cuda", "auto"}, default "cpu"
        Where ``fit`` trains: ``"auto"`` uses CUDA where available, else the CPU; ``"cuda"`` without a GPU is an
        error. On a GPU the reference executor runs (the performance engine's kernels are CPU kernels); the fitted
        ``model_`` comes back on the CPU, where prediction and attribution run.
    verbose : bool, default False
        Show a progress bar per epoch.

    The defaults were chosen on six problems (``benchmarks/bench_defaults.py``; table in benchmarks/RESULTS.md).

    Attributes
    ----------
    model_ : BINN
        The fitted torch module.
    architecture_ : Architecture
        The compiled graph; ``architecture_.input_ids`` is the input order.
    report_ : BuildReport
        What the compilation and fit matched, dropped and imputed.
    preprocessor_ : InputPreprocessor
        Imputation and scaling fitted on the training rows.
    history_ : dict
        Per-epoch training and validation losses, best epoch.
    n_features_in_, feature_names_in_
        As in scikit-learn.
"""

_CLASS_WEIGHT_DOC = """
    class_weight : {"balanced"}, dict or None, default None
        Loss weight per class: ``"balanced"`` (inverse frequency) or ``{class: weight}``."""


def _align_target(frame: pd.DataFrame, y, was_frame: bool):
    """Return y aligned to the rows of ``frame`` by sample id when both carry ids, else by length."""
    if isinstance(y, (pd.Series, pd.DataFrame)) and was_frame and not isinstance(frame.index, pd.RangeIndex):
        if not y.index.equals(frame.index):
            missing_y = frame.index.difference(y.index)
            extra_y = y.index.difference(frame.index)
            if len(missing_y) or len(extra_y):
                raise DataValidationError(
                    f"sample ids of X and y differ: {len(missing_y)} in X only (e.g. {list(missing_y[:3])}), "
                    f"{len(extra_y)} in y only (e.g. {list(extra_y[:3])})")
            y = y.loc[frame.index]
    values = y.to_numpy() if isinstance(y, (pd.Series, pd.DataFrame)) else np.asarray(y)
    if values.shape[0] != frame.shape[0]:
        raise DataValidationError(f"X has {frame.shape[0]} samples but y has {values.shape[0]}")
    return values


def _append_validation(frame: pd.DataFrame, y_values: np.ndarray, validation_data) -> tuple[pd.DataFrame, np.ndarray]:
    """Training rows followed by the validation rows (columns matched by name) and the joined targets."""
    if not (isinstance(validation_data, tuple) and len(validation_data) == 2):
        raise DataValidationError("validation_data must be a tuple (X_val, y_val)")
    X_val, y_val = validation_data
    val_frame = _validated_frame(X_val, min_samples=1)
    missing = frame.columns.difference(val_frame.columns)
    if len(missing):
        raise DataValidationError(f"validation_data X lacks {len(missing)} column(s) of X, e.g. {list(missing[:3])}")
    y_val_values = _align_target(val_frame, y_val, isinstance(X_val, pd.DataFrame))
    if y_val_values.ndim != y_values.ndim:
        raise DataValidationError(f"y_val has {y_val_values.ndim} dimension(s) but y has {y_values.ndim}")
    return pd.concat([frame, val_frame[frame.columns]]), np.concatenate([y_values, y_val_values])


def _validated_frame(X, min_samples: int = 2) -> pd.DataFrame:
    """Validate X (sklearn's checks for arrays; ours for column names) and return a float DataFrame."""
    if isinstance(X, pd.DataFrame):
        frame = as_frame(X)
        arr = check_array(frame, ensure_all_finite="allow-nan", dtype="numeric", ensure_min_samples=min_samples)
        return pd.DataFrame(arr, index=frame.index, columns=frame.columns)
    arr = check_array(X, ensure_all_finite="allow-nan", dtype="numeric", ensure_min_samples=min_samples)
    return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])


class BINNEstimator(BaseEstimator):
    """What :class:`BINNClassifier` and :class:`BINNRegressor` share; see their parameters.

    Other code (attribution, the CLI) uses an estimator through its public methods only: ``module_input(X)``,
    ``output_function()``, ``model_``, ``architecture_`` and ``graph``.
    """

    _estimator_type_name = "BINN"

    _parameter_constraints: dict = {
        "graph": [KnowledgeGraph, None],
        "input_type": [str, list, tuple],
        "mode": [StrOptions({"dag", "layered"})],
        "n_levels": [Interval(Integral, 1, None, closed="left"), None],
        "node_width": [Interval(Integral, 1, None, closed="left"), dict],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "norm": [StrOptions({"batch"}), None],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "heads": [StrOptions({"root", "all_levels"})],
        "impute": [StrOptions(set(IMPUTE_MODES))],
        "scale": ["boolean"],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "l1": [Interval(Real, 0, None, closed="left")],
        "l2": [Interval(Real, 0, None, closed="left")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "strict": ["boolean"],
        "empty_columns": [StrOptions({"warn", "raise", "report"})],
        "kernel": [StrOptions({"auto", "csr", "gather"})],
        "node_hidden": [dict, None],
        "subnetwork_activation": [StrOptions(set(ACTIVATIONS))],
        "integrator": [list, tuple, None],
        "target_type": [str],
        "relations": [list, tuple, None],
        "reverse": [list, tuple],
        "residual": ["boolean"],
        "residual_l2": [Interval(Real, 0, None, closed="left")],
        "soft_constraint": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "n_jobs": [Integral, None],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "verbose": ["verbose"],
    }

    def __init__(self, graph: KnowledgeGraph | None = None, input_type: str | list[str] = "protein",
                 mode: str = "dag", n_levels: int | None = None, node_width: int | dict = 1,
                 activation: str = "tanh", norm: str | None = "batch", dropout: float = 0.0, heads: str = "root",
                 impute: str = "mean", scale: bool = True, max_epochs: int = 200, batch_size: int = 32,
                 lr: float = 1e-2, weight_decay: float = 1e-1, l1: float = 0.0, l2: float = 0.0, patience: int = 20,
                 validation_fraction: float = 0.2, strict: bool = False, empty_columns: str = "warn",
                 kernel: str = "auto", node_hidden: dict | None = None, subnetwork_activation: str = "sigmoid",
                 integrator: list | None = None, target_type: str = "pathway",
                 relations: list | tuple | None = None, reverse: list | tuple = (), residual: bool = False,
                 residual_l2: float = 1.0, soft_constraint: float = 0.0, random_state: int | None = None,
                 n_threads: int | None = 1, n_jobs: int | None = None, device: str = "cpu",
                 verbose: bool = False) -> None:
        self.graph = graph
        self.input_type = input_type
        self.mode = mode
        self.n_levels = n_levels
        self.node_width = node_width
        self.activation = activation
        self.norm = norm
        self.dropout = dropout
        self.heads = heads
        self.impute = impute
        self.scale = scale
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.l1 = l1
        self.l2 = l2
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.strict = strict
        self.empty_columns = empty_columns
        self.kernel = kernel
        self.node_hidden = node_hidden
        self.subnetwork_activation = subnetwork_activation
        self.integrator = integrator
        self.target_type = target_type
        self.relations = relations
        self.reverse = reverse
        self.residual = residual
        self.residual_l2 = residual_l2
        self.soft_constraint = soft_constraint
        self.random_state = random_state
        self.n_threads = n_threads
        self.n_jobs = n_jobs
        self.device = device
        self.verbose = verbose

    # ---------------------------------------------------------------- hooks for subclasses
    def _encode_target(self, y: np.ndarray) -> tuple[torch.Tensor, int]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _loss(self, y_train: torch.Tensor):  # pragma: no cover - abstract
        raise NotImplementedError

    def _stratify(self, y: np.ndarray):
        return None

    # ---------------------------------------------------------------- fit
    def fit(self, X, y, latent_targets: pd.DataFrame | None = None, validation_data: tuple | None = None):
        """Compile the graph for X's columns, fit preprocessing on training rows, and train.

        Parameters
        ----------
        X : DataFrame or array of shape (n_samples, n_features), or PlinkGenotypes
            Samples × features; DataFrame columns are matched to the graph's ``input_type`` nodes by name (arrays
            get names ``x0, x1, …``). NaN marks a missing value. A :class:`~binn_graph.genomic.PlinkGenotypes` is
            streamed from disk in batches (the SNPs are the columns; ``y`` a Series indexed by ``.fam`` sample ids
            selects the training samples): :func:`binn_graph.genomic.streamed_fit.fit_streamed`.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Class labels or numeric targets; a Series is matched to X by sample id.
        latent_targets : DataFrame, optional
            With ``soft_constraint`` > 0: samples × latent node ids of measured intermediates (expression,
            metabolites ...), NaN where unmeasured; see :mod:`binn_graph.soft_constraint`.
        validation_data : tuple (X_val, y_val), optional
            Rows for early stopping instead of a random ``validation_fraction`` of X (inner folds of
            :func:`binn_graph.genomic.nested_cv`); X_val's columns are matched to X's by name.

        Returns
        -------
        self
        """
        from .genomic.streaming import PlinkGenotypes

        if isinstance(X, PlinkGenotypes):  # genotypes streamed from disk: binn_graph.genomic.streamed_fit
            from .genomic.streamed_fit import fit_streamed

            return fit_streamed(self, X, y, latent_targets=latent_targets, validation_data=validation_data)
        validate_params(self)
        frame, y_values, n_train = self._check_data(X, y, validation_data)
        seed = int(check_random_state(self.random_state).randint(0, 2**31 - 1))
        inputs = self._compile(frame, was_frame=isinstance(X, pd.DataFrame))
        target, n_outputs = self._encode_target(y_values)
        idx, val_idx = self._split(y_values, n_train, len(frame), validation_data is None, seed)
        X_all = self._fit_preprocessing(inputs, idx)
        torch.manual_seed(seed)
        self.model_ = self._build_module(n_outputs)
        module, target, loss_fn, val_loss = self._objective(target, n_outputs, idx, frame.index, latent_targets)
        has_val = len(val_idx) > 0
        self._train(module, loss_fn, val_loss, seed, X_all[idx], target[idx], X_all[val_idx] if has_val else None,
                    target[val_idx] if has_val else None)
        return self

    def _train(self, module, loss_fn, val_loss, seed: int, X_train, y_train, X_val, y_val) -> None:
        """Run the :class:`~binn_graph.training.Trainer` with this estimator's settings on its device (``history_``);
        ``X_train``/``X_val`` are tensors or streamed row sources."""
        trainer = Trainer(max_epochs=self.max_epochs, batch_size=self.batch_size, lr=self.lr,
                          weight_decay=self.weight_decay, l1=self.l1, l2=self.l2, patience=self.patience,
                          seed=seed, progress=self.verbose or None)
        device = resolve_device(self.device)
        if device.type != "cpu":
            trainer.device = device
            module.to(device)
            self.model_.use_engine = False  # the engine's kernels are CPU kernels: the reference executor
            for fn in (loss_fn, val_loss):
                if isinstance(fn, torch.nn.Module):
                    fn.to(device)
        try:
            with intra_op_threads(self.n_threads):
                self.history_ = trainer.fit(module, loss_fn, X_train, y_train, X_val, y_val, val_loss_fn=val_loss)
        finally:
            if device.type != "cpu":
                module.cpu()
                vars(self.model_).pop("use_engine", None)

    def _check_data(self, X, y, validation_data) -> tuple[pd.DataFrame, np.ndarray, int]:
        """X as a float DataFrame with y aligned to it by sample id; validation rows appended after the
        ``n_train`` training rows."""
        if self.graph is None:
            raise ParameterError(f"{type(self).__name__} needs graph=KnowledgeGraph(...) to fit")
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        frame = _validated_frame(X)
        y_values = _align_target(frame, y, isinstance(X, pd.DataFrame))
        n_train = len(frame)
        if validation_data is not None:
            frame, y_values = _append_validation(frame, y_values, validation_data)
        return frame, y_values, n_train

    def _compile(self, frame: pd.DataFrame, was_frame: bool) -> pd.DataFrame:
        """Compile the graph for the frame's columns (``architecture_``, ``report_``) and return the input
        columns in the architecture's order, with the empty-column policy applied."""
        self.architecture_ = Architecture.from_graph(self.graph, self.input_type, features=list(frame.columns),
                                                     mode=self.mode, n_levels=self.n_levels, strict=self.strict,
                                                     target_type=self.target_type, residual=self.residual,
                                                     reverse=self.reverse,
                                                     **({} if self.relations is None else {"relations": self.relations}))
        self.report_ = self.architecture_.report
        self.n_features_in_ = frame.shape[1]
        if was_frame:
            self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        inputs = align_columns(frame, self.architecture_.input_ids)
        if self.empty_columns == "raise":
            check_no_empty_columns(inputs)
        elif self.empty_columns == "warn":
            empty = empty_columns(inputs)
            if empty:
                warnings.warn(f"X has {len(empty)} input column(s) with no value in these rows, e.g. {empty[:5]}: "
                              "imputed at the centre and counted in report_ (pass empty_columns='raise' to refuse "
                              "them)", UserWarning, stacklevel=3)
        return inputs

    def _split(self, y_values: np.ndarray, n_train: int, n_rows: int, random_split: bool,
               seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Training and early-stopping row indices: a (stratified) random ``validation_fraction`` of the first
        ``n_train`` rows, or the appended validation rows."""
        idx, val_idx = np.arange(n_train), np.arange(n_train, n_rows)
        if random_split and self.validation_fraction and n_rows >= 10:
            try:
                idx, val_idx = train_test_split(idx, test_size=self.validation_fraction, random_state=seed,
                                                stratify=self._stratify(y_values))
            except ValueError:  # a class too small to stratify
                idx, val_idx = train_test_split(idx, test_size=self.validation_fraction, random_state=seed)
        return idx, val_idx

    def _fit_preprocessing(self, inputs: pd.DataFrame, idx: np.ndarray) -> torch.Tensor:
        """Fit imputation and scaling on the training rows (``preprocessor_``); all rows as the module's input."""
        self.preprocessor_ = InputPreprocessor(self.impute, self.scale).fit(inputs.iloc[idx])
        self.report_.add("fit", "note", "input columns with no value in the training rows (imputed at the centre)",
                         len(self.preprocessor_.unobserved_), examples=self.preprocessor_.unobserved_[:5])
        return to_tensor(self.preprocessor_.transform(inputs))

    def _objective(self, target: torch.Tensor, n_outputs: int, idx: np.ndarray, sample_ids: pd.Index,
                   latent_targets: pd.DataFrame | None):
        """``(module, target, loss, validation loss)``: the task loss plus the residual ridge and the soft
        constraint, where asked for. Early stopping judges the task alone: penalties only shape training."""
        task_loss, module = self._loss(target[idx]), self.model_
        loss_fn = val_loss = task_loss
        residual_weight = self.model_.residual_weight
        if self.residual and self.residual_l2 and residual_weight is not None:
            l2 = float(self.residual_l2)
            loss_fn = lambda pred, y: task_loss(pred, y) + l2 * (residual_weight ** 2).sum()  # noqa: E731  ridge
        if latent_targets is not None or self.soft_constraint:
            from .soft_constraint import SoftConstrained, constraint_targets

            if latent_targets is None or not self.soft_constraint:
                raise DataValidationError("a soft constraint needs both soft_constraint=λ > 0 and "
                                          "fit(..., latent_targets=DataFrame)")
            if target.dtype != torch.float32:
                raise DataValidationError("soft constraints are implemented for BINNRegressor")
            z, self.latent_nodes_, self.latent_target_stats_ = constraint_targets(
                latent_targets, sample_ids, self.architecture_, idx, self.report_)
            module = SoftConstrained(self.model_, self.latent_nodes_)
            loss_fn = module.loss(loss_fn, target.shape[1], float(self.soft_constraint))
            val_loss = module.task_part(task_loss, n_outputs)
            target = torch.cat([target, z], dim=1)
        return module, target, loss_fn, val_loss

    def _build_module(self, n_outputs: int) -> BINN:
        return BINN(self.architecture_, n_outputs=n_outputs, node_width=self.node_width, activation=self.activation,
                    norm=self.norm, dropout=self.dropout, heads=self.heads, kernel=self.kernel,
                    input_width=self.preprocessor_.input_width, node_hidden=self.node_hidden,
                    subnetwork_activation=self.subnetwork_activation, integrator=self.integrator)

    def latent_activations(self, X, nodes: list[str] | None = None) -> pd.DataFrame:
        """Samples × latent nodes: the first unit of each node's activation (all latent nodes by default)."""
        from .soft_constraint import node_rows

        inputs = self._inputs(X)
        arch = self.architecture_
        if nodes is None:
            latent = arch.nodes[(arch.nodes["level"] > 0) & (arch.nodes["level"] < arch.nodes["level"].max())]
            nodes = latent["node_id"].tolist()
        rows = node_rows(arch, nodes, self.model_.level_widths)
        self.model_.eval()
        with torch.no_grad(), intra_op_threads(self.n_threads):
            states = self.model_.level_states(to_tensor(self.preprocessor_.transform(inputs)), fused=True)
        values = torch.stack([states[level][row] for level, row in rows], dim=1).numpy()
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(values, index=index, columns=list(nodes))

    # ---------------------------------------------------------------- predict helpers
    def _inputs(self, X) -> pd.DataFrame:
        check_fitted(self)
        if isinstance(X, pd.DataFrame):
            return align_columns(_validated_frame(X, min_samples=1), self.architecture_.input_ids)
        frame = _validated_frame(X, min_samples=1)
        if frame.shape[1] != self.n_features_in_:
            raise FeatureMismatchError(f"X has {frame.shape[1]} features, but {type(self).__name__} is expecting "
                                       f"{self.n_features_in_} features as input")
        return align_columns(frame, self.architecture_.input_ids)

    def module_input(self, X) -> torch.Tensor:
        """X (columns matched by name) as the module's input tensor ``[n_samples, n_inputs * k]``, preprocessed
        as in training."""
        inputs = self._inputs(X)  # checks that the estimator is fitted
        return to_tensor(self.preprocessor_.transform(inputs))

    _model_input = module_input  # old private name

    def output_function(self):
        """``(f, names)``: ``f`` maps the module's logits ``[batch, n_outputs]`` to what the estimator reports
        (probabilities of the positive class or of each class; predictions in the target's units), one column per
        name. ``predict``/``predict_proba`` and :func:`binn_graph.explain` both use it."""
        raise NotImplementedError  # pragma: no cover - defined by the subclasses

    @torch.no_grad()
    def _outputs(self, X) -> np.ndarray:
        x = self.module_input(X)
        self.model_.eval()
        with intra_op_threads(self.n_threads):
            logits = self.model_(x)
        return self.output_function()[0](logits.double()).numpy()  # float64: targets far from 0 keep digits

    # ---------------------------------------------------------------- persistence
    def save(self, path: str | PathLike) -> None:
        """Save weights, architecture, preprocessing and parameters (loadable with ``weights_only``)."""
        check_fitted(self)
        params = {k: v for k, v in self.get_params().items() if k != "graph"}
        spec = {"estimator": type(self).__name__, "params": params, "architecture": self.architecture_.to_dict(),
                "preprocessor": self.preprocessor_.to_dict(), "n_outputs": self.model_.n_outputs,
                "n_features_in": int(self.n_features_in_),
                "feature_names_in": [str(c) for c in getattr(self, "feature_names_in_", [])],
                **self._extra_spec()}
        save_checkpoint(path, self.model_, spec)

    def _extra_spec(self) -> dict:
        return {}

    @classmethod
    def load(cls, path: str | PathLike):
        """Rebuild a fitted estimator from :meth:`save` output (no graph needed to predict)."""
        payload = load_checkpoint(path)
        spec = payload["spec"]
        if spec["estimator"] != cls.__name__:
            raise CheckpointError(f"{path}: holds a {spec['estimator']}, not a {cls.__name__}")
        est = cls(**spec["params"])
        est.architecture_ = Architecture.from_dict(spec["architecture"])
        est.report_ = est.architecture_.report
        est.preprocessor_ = InputPreprocessor.from_dict(spec["preprocessor"])
        est.n_features_in_ = spec["n_features_in"]
        if spec["feature_names_in"]:
            est.feature_names_in_ = np.asarray(spec["feature_names_in"], dtype=object)
        est.model_ = est._build_module(spec["n_outputs"])
        try:
            est.model_.load_state_dict(payload["state_dict"])
        except RuntimeError as exc:
            raise CheckpointError(f"{path}: weights do not fit the model this version builds "
                                  f"({str(exc).splitlines()[0]}); retrain with this version") from None
        est.model_.eval()
        est._restore_spec(spec)
        return est

    def _restore_spec(self, spec: dict) -> None:
        pass

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.non_deterministic = self.random_state is None
        return tags


class BINNClassifier(ClassifierMixin, BINNEstimator):
    """Binary or multiclass BINN classifier: a sparse network wired like the knowledge graph."""

    _parameter_constraints: dict = {**BINNEstimator._parameter_constraints,
                                    "class_weight": [StrOptions({"balanced"}), dict, None]}

    def __init__(self, graph: KnowledgeGraph | None = None, input_type: str | list[str] = "protein",
                 mode: str = "dag", n_levels: int | None = None, node_width: int | dict = 1,
                 activation: str = "tanh", norm: str | None = "batch", dropout: float = 0.0, heads: str = "root",
                 impute: str = "mean", scale: bool = True, max_epochs: int = 200, batch_size: int = 32,
                 lr: float = 1e-2, weight_decay: float = 1e-1, l1: float = 0.0, l2: float = 0.0, patience: int = 20,
                 validation_fraction: float = 0.2, class_weight: str | dict | None = None, strict: bool = False,
                 empty_columns: str = "warn", kernel: str = "auto", node_hidden: dict | None = None,
                 subnetwork_activation: str = "sigmoid", integrator: list | None = None, target_type: str = "pathway",
                 relations: list | tuple | None = None, reverse: list | tuple = (),
                 residual: bool = False, residual_l2: float = 1.0, soft_constraint: float = 0.0,
                 random_state: int | None = None, n_threads: int | None = 1, n_jobs: int | None = None,
                 device: str = "cpu", verbose: bool = False) -> None:
        super().__init__(graph=graph, input_type=input_type, mode=mode, n_levels=n_levels, node_width=node_width,
                         activation=activation, norm=norm, dropout=dropout, heads=heads, impute=impute, scale=scale,
                         max_epochs=max_epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay, l1=l1,
                         l2=l2, patience=patience, validation_fraction=validation_fraction, strict=strict,
                         empty_columns=empty_columns, kernel=kernel, node_hidden=node_hidden,
                         subnetwork_activation=subnetwork_activation, integrator=integrator, target_type=target_type,
                         relations=relations, reverse=reverse,
                         residual=residual, residual_l2=residual_l2, soft_constraint=soft_constraint,
                         random_state=random_state, n_threads=n_threads, n_jobs=n_jobs, device=device,
                         verbose=verbose)
        self.class_weight = class_weight

    def _stratify(self, y):
        return y

    def _encode_target(self, y):
        if y.ndim != 1 and not (y.ndim == 2 and y.shape[1] == 1):
            raise TargetError(f"y must be 1-dimensional for classification, got shape {y.shape}")
        y = column_or_1d(y, warn=True)
        if pd.isna(pd.Series(y)).any():
            raise TargetError("y has missing values")
        kind = type_of_target(y)
        if kind not in {"binary", "multiclass"}:
            raise TargetError(f"Unknown label type {kind!r}: the classifier needs discrete class labels")
        self._label_encoder = LabelEncoder().fit(y)
        self.classes_ = self._label_encoder.classes_
        if len(self.classes_) < 2:
            raise TargetError(f"y has 1 class ({self.classes_[0]!r}); classification needs at least 2")
        codes = self._label_encoder.transform(y)
        counts = np.bincount(codes, minlength=len(self.classes_)).astype("float64")
        self._class_weights = self._weights(counts)
        if len(self.classes_) == 2:
            return torch.as_tensor(codes, dtype=torch.float32).view(-1, 1), 1
        return torch.as_tensor(codes, dtype=torch.long), len(self.classes_)

    def _weights(self, counts: np.ndarray) -> np.ndarray | None:
        if self.class_weight is None:
            return None
        if self.class_weight == "balanced":
            return counts.sum() / (len(counts) * np.maximum(counts, 1))
        if isinstance(self.class_weight, dict):
            return np.array([float(self.class_weight.get(c, 1.0)) for c in self.classes_])
        raise ParameterError(f"class_weight must be None, 'balanced' or a dict, not {self.class_weight!r}")

    def _loss(self, y_train):
        w = self._class_weights
        if len(self.classes_) == 2:
            pos_weight = None if w is None else torch.tensor([w[1] / w[0]], dtype=torch.float32)
            return torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
        return torch.nn.CrossEntropyLoss(weight=None if w is None else torch.as_tensor(w, dtype=torch.float32))

    def output_function(self):
        """``(f, names)``: probabilities of the positive class (binary) or of every class from the logits."""
        check_fitted(self)
        if len(self.classes_) == 2:
            return torch.sigmoid, [str(self.classes_[1])]
        return (lambda logits: torch.softmax(logits, dim=1)), [str(c) for c in self.classes_]

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities ``[n_samples, n_classes]`` in ``classes_`` order."""
        p = self._outputs(X)
        return np.column_stack([1.0 - p[:, 0], p[:, 0]]) if p.shape[1] == 1 else p

    def predict(self, X) -> np.ndarray:
        """Class labels ``[n_samples]``: the most probable class."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def _extra_spec(self) -> dict:
        return {"classes": self.classes_.tolist()}

    def _restore_spec(self, spec: dict) -> None:
        self.classes_ = np.asarray(spec["classes"])


class BINNRegressor(RegressorMixin, BINNEstimator):
    """Single- or multi-target BINN regressor; targets are standardised on the training rows."""

    def _encode_target(self, y):
        try:
            values = check_array(y, ensure_2d=False, dtype="float64", ensure_all_finite=False, input_name="y")
        except (TypeError, ValueError) as exc:
            raise TargetError(f"y must be numeric for regression ({exc})") from None
        if np.isnan(values).any() or np.isinf(values).any():
            raise TargetError("y has missing or infinite values")
        self._single_target = values.ndim == 1
        values = values.reshape(len(values), -1)
        self.target_mean_ = values.mean(axis=0)
        std = values.std(axis=0)
        self.target_scale_ = np.where(std > 0, std, 1.0)
        scaled = (values - self.target_mean_) / self.target_scale_
        return torch.as_tensor(scaled, dtype=torch.float32), values.shape[1]

    def _loss(self, y_train):
        return torch.nn.MSELoss()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def output_function(self):
        """``(f, names)``: predictions in the target's units from the logits (standardisation undone)."""
        check_fitted(self)
        mean = torch.as_tensor(self.target_mean_, dtype=torch.float64)
        scale = torch.as_tensor(self.target_scale_, dtype=torch.float64)
        names = ["prediction"] if len(self.target_mean_) == 1 else [f"target_{i}" for i in range(len(mean))]
        return (lambda logits: logits * scale.to(logits.dtype) + mean.to(logits.dtype)), names

    def predict(self, X) -> np.ndarray:
        """Predictions ``[n_samples]`` (one target) or ``[n_samples, n_targets]``, in the target's units."""
        out = self._outputs(X)
        return out[:, 0] if self._single_target else out

    def _extra_spec(self) -> dict:
        return {"target_mean": self.target_mean_.tolist(), "target_scale": self.target_scale_.tolist(),
                "single_target": self._single_target}

    def _restore_spec(self, spec: dict) -> None:
        self.target_mean_ = np.asarray(spec["target_mean"])
        self.target_scale_ = np.asarray(spec["target_scale"])
        self._single_target = spec["single_target"]


# every parameter documented once, for help() and the API reference of both estimators
BINNClassifier.__doc__ += "\n" + _PARAMETERS_DOC.replace("{class_weight}", _CLASS_WEIGHT_DOC) + """    classes_ : ndarray
        Class labels, in the order of ``predict_proba``'s columns.
"""
BINNRegressor.__doc__ += "\n" + _PARAMETERS_DOC.replace("{class_weight}", "") + """    target_mean_, target_scale_ : ndarray
        Training-row mean and standard deviation of each target (predictions are mapped back with them).
"""

_BaseBINN = BINNEstimator  # old private name, kept for one release
