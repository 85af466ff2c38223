"""Exception hierarchy of :mod:`binn_graph`; every error for bad input derives from :class:`BINNError`."""

from __future__ import annotations

__all__ = ["BINNError"]


class BINNError(Exception):
    """Base class of every error raised by :mod:`binn_graph`."""
