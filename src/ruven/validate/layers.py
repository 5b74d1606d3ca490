"""Which layers ``ruven validate`` runs by default (kept apart so the CLI imports nothing heavy)."""

from ruven.report import LAYERS

#: The layers implemented so far, in the order they run.
DEFAULT_LAYERS: tuple[str, ...] = ("frictionless",)

__all__ = ["DEFAULT_LAYERS", "LAYERS"]
