"""The ``ruven`` command line: a thin layer that renders the core's result objects.

Exit codes are decided here, in one place: 0 success; 1 findings (invalid data,
differences, files ``fmt --check`` would change, a failed query); 2 usage error; 3 ruven
could not do the job; 130 interrupted by Ctrl-C. A traceback is printed only with ``--debug``.
"""

from __future__ import annotations

import os
import sys

# polars allocates with its own jemalloc, which by default keeps freed pages for reuse: after
# a 1M-row table that is hundreds of MB of RSS nothing uses. Give them back at once (the
# documented knob; read when polars first allocates, so it must be set before polars loads).
# A value the user set wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "background_thread:true,dirty_decay_ms:100,muzzy_decay_ms:0")
# numpy (imported by pandera, and to count bytes) starts OpenBLAS with a thread per core; at 1M
# rows per table a profile found them spinning (1% of the CPU) on cores polars needs. ruven
# multiplies no matrices: one thread (OpenBLAS' documented variable).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import click  # noqa: E402

from ruven.cli.app import cli  # noqa: E402
from ruven.cli.output import STATE, echo_json, emit_error  # noqa: E402

__all__ = ["cli", "main"]


def _json_requested(args: list[str]) -> bool:
    """``--format json`` on the command line: errors then come as the JSON envelope, even
    those click raises before the option is parsed."""
    return "--format=json" in args or any(a == "--format" and b == "json" for a, b in zip(args, args[1:], strict=False))


def _interrupted() -> int:
    """Ctrl-C: a short message, no traceback, and the exit code shells expect (128 + SIGINT)."""
    emit_error("interrupted", "interrupted (Ctrl-C)", "")
    return 130


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; returns (and exits with) the exit code."""
    args = sys.argv[1:] if argv is None else argv
    STATE.debug = "--debug" in args
    STATE.format = "json" if _json_requested(args) else "text"
    try:
        rv = cli.main(args=args, prog_name="ruven", standalone_mode=False)
        code = rv if isinstance(rv, int) else 0
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.exceptions.Abort as exc:  # click turns Ctrl-C into Abort
        if isinstance(exc.__cause__, KeyboardInterrupt):
            code = _interrupted()
        else:
            click.echo("Aborted.", err=True)
            code = 1
    except KeyboardInterrupt:
        code = _interrupted()
    except click.ClickException as exc:  # usage errors (click's own): exit 2
        if STATE.format == "json":
            echo_json({"ok": False, "error": {"code": "usage-error", "message": exc.format_message(), "hint": "run the command with --help for its options and examples", "location": ""}})
        exc.show()
        code = exc.exit_code
    except Exception as exc:  # noqa: BLE001 - the one place that turns failures into exit codes
        from ruven.errors import RuvenError, from_os_error

        if STATE.debug:
            raise
        if isinstance(exc, OSError):  # no permission, a full disk, a file in the way: plain words
            exc = from_os_error(exc)
        from ruven.errors import InvalidPackageError

        if isinstance(exc, InvalidPackageError) and exc.report is not None:
            from ruven.cli.validate import render

            if STATE.format == "json":  # one JSON document: the error and the findings
                echo_json({"ok": False, "error": exc.to_dict(), "validation": exc.report.to_dict()})  # type: ignore[attr-defined]
                click.echo(f"error: {exc}", err=True)
            else:
                render(exc.report, "text", False)  # type: ignore[arg-type]
                emit_error(exc.code, exc.message, exc.hint, exc.location)
            code = exc.exit_code
        elif isinstance(exc, RuvenError):
            emit_error(exc.code, exc.message, exc.hint, exc.location)
            code = exc.exit_code
        else:
            emit_error(
                "internal-error",
                f"{type(exc).__name__}: {exc}",
                "this is a bug in ruven, not in your data: re-run with --debug and report the traceback",
            )
            code = 3
    sys.stdout.flush()
    if argv is None:
        from ruven.exits import leave_objects_to_the_exit

        leave_objects_to_the_exit()  # (the console script's process ends here)
        sys.exit(code)
    return code
