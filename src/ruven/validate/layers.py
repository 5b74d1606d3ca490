"""Which layers ``ruven validate`` runs by default (kept apart so the CLI imports nothing heavy)."""

from ruven.report import LAYERS

#: Every layer, in the order they run.
DEFAULT_LAYERS: tuple[str, ...] = ("frictionless", "pandera", "expectations")

__all__ = ["DEFAULT_LAYERS", "LAYERS"]
