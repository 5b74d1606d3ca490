"""Rendering helpers shared by the commands: formats, JSON envelope, errors, progress."""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from dataclasses import dataclass
from typing import Any

import click


@dataclass
class _State:
    format: str = "text"
    debug: bool = False


STATE = _State()


def format_option(*choices: str, default: str = "text") -> Any:
    """The one ``--format`` option of a command; remembers the choice for error rendering."""

    def remember(ctx: click.Context, param: click.Parameter, value: str) -> str:
        STATE.format = value
        return value

    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=default,
        show_default=True,
        callback=remember,
        is_eager=True,
        help="Output format: " + ", ".join(choices) + ".",
    )


package_option = click.option(
    "--package",
    "-p",
    "package",
    type=click.Path(),
    default=None,
    envvar="RUVEN_PACKAGE",
    help="datapackage.json or its folder [default: env RUVEN_PACKAGE, else found from the current folder up, else the clone ruven is installed from].",
)


def parse_today(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    """Callback of the ``--today`` options: a ``YYYY-MM-DD`` date, or None for today."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form") from None


def echo_json(doc: dict[str, Any]) -> None:
    """Print exactly one JSON document on stdout: strict JSON (a NaN or infinite number is null;
    text that is not Unicode, such as a lone surrogate from a broken ``\\ud800`` escape, is
    written as its JSON escape)."""
    doc = _finite(doc)
    text = json.dumps(doc, ensure_ascii=False, indent=2, default=str, allow_nan=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(doc, ensure_ascii=True, indent=2, default=str, allow_nan=False)
    click.echo(text)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def emit_error(code: str, message: str, hint: str = "", location: str = "") -> None:
    """Report a failure: JSON envelope on stdout in json mode, a readable line on stderr always."""
    if STATE.format == "json":
        echo_json({"ok": False, "error": {"code": code, "message": message, "hint": hint, "location": location}})
    where = f"{location}: " if location else ""
    click.echo(f"error: {where}{message} ({code})", err=True)
    if hint:
        click.echo(f"  hint: {hint}", err=True)


def progress(message: str) -> None:
    """A progress line on stderr, only for people watching a terminal."""
    if sys.stderr.isatty():
        click.echo(f"… {message}", err=True)


class TextFile(click.ParamType):
    """A file (or ``-`` for stdin) given on the command line, read whole as UTF-8 text: the
    value is the text. Bytes that are not UTF-8 are a plain error (exit 3), not a crash."""

    name = "file"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from ruven.errors import InputError

        label = "stdin" if value == "-" else str(value)
        try:
            if value == "-":
                data = click.get_binary_stream("stdin").read()
            else:
                with open(value, "rb") as fh:
                    data = fh.read()
        except OSError as exc:
            self.fail(f"cannot read {label}: {exc.strerror or exc}", param, ctx)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise InputError(
                f"{label} is not UTF-8 text (byte 0x{data[exc.start]:02x} at line {line} cannot be decoded)",
                "save the file as UTF-8 (your editor's encoding menu, or `iconv -t utf-8`), then run the command again",
                location=f"{label}:{line}",
            ) from None
