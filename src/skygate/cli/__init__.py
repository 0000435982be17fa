"""skygate's command line: one Typer app; each command group lives in a module of its own.

The CLI is a thin surface: it parses arguments, calls the layers below and formats the result.
User mistakes (:class:`skygate.errors.SkygateError`) become one clear line on stderr and exit
code 2; no traceback is shown for them.
"""

from __future__ import annotations

import importlib
import sys

import typer

from skygate.errors import SkygateError

__all__ = ["app", "main"]

app = typer.Typer(
    name="skygate",
    help="A digital twin of a Starlink-style LEO satellite internet service and its control plane.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Each module defines ``register(app)``; add a module here when it adds commands.
_COMMAND_MODULES = ["orbits", "web", "policy", "ledger", "earth", "sim"]


def _register_all() -> None:
    for name in _COMMAND_MODULES:
        importlib.import_module(f"skygate.cli.{name}").register(app)


def _click_exceptions() -> tuple[type[Exception], ...]:
    """Click's usage-error base class(es). Typer ≥ 0.20 vendors its own copy of click
    (``typer._click``), whose exceptions are *not* ``click.ClickException``; catching only the
    latter let a missing option end in a traceback. The vendored base is found through
    ``typer.BadParameter``'s ancestry, so no private module is imported by name."""
    found = [cls for cls in typer.BadParameter.__mro__ if cls.__name__ == "ClickException"]
    try:
        import click

        found.append(click.ClickException)
    except ImportError:  # pragma: no cover - click is a dependency of typer
        pass
    return tuple(dict.fromkeys(found))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``skygate`` console script."""
    _register_all()
    try:
        # In non-standalone mode click *returns* the code of ``typer.Exit(code)``.
        result = app(args=argv, standalone_mode=False)
    except SkygateError as exc:
        print(f"skygate: error: {exc}", file=sys.stderr)
        return 2
    except typer.Exit as exc:  # raised by commands that decide their own exit code
        return exc.exit_code
    except typer.Abort:
        print("skygate: aborted", file=sys.stderr)
        return 130
    except _click_exceptions() as exc:  # usage errors come through here (non-standalone)
        exc.show()
        return exc.exit_code
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
