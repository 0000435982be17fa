"""``skygate serve`` (the API and web map, with uvicorn) and ``skygate keys`` (API keys)."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from skygate.errors import InputError

__all__ = ["register"]

keys_app = typer.Typer(help="API keys (stored hashed; a new key is printed once).",
                       no_args_is_help=True)


def _require_web() -> None:
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ModuleNotFoundError as exc:
        raise InputError(f"the API server needs the web extra ({exc.name} is missing)",
                         hint="pip install 'skygate[web]'") from None


def serve(
    host: str = typer.Option("127.0.0.1", help="interface to listen on (loopback by default)"),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port"),
    log_level: str = typer.Option("info", help="uvicorn log level"),
) -> None:
    """Serve the REST API (/api/v1) and the service map (/) on the store of SKYGATE_HOME."""
    _require_web()
    import uvicorn

    from skygate.api.app import BUILD_HINT, create_app, static_ready

    if not static_ready():
        print(f"skygate: warning: {BUILD_HINT}", file=sys.stderr)
    print(f"skygate: serving http://{host}:{port}/ (API docs at /api/v1/docs)", file=sys.stderr)
    uvicorn.run(create_app(), host=host, port=port, log_level=log_level,
                http="httptools" if _has("httptools") else "h11",
                loop="uvloop" if _has("uvloop") else "asyncio")


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


@keys_app.command("create")
def keys_create(
    role: str = typer.Option(..., help="customer, operator, regulator, auditor or admin"),
    country: Optional[str] = typer.Option(None, help="ISO alpha-2 country (regulators: required)"),
    owner: Optional[str] = typer.Option(None, help="who holds the key (the actor in the ledger)"),
) -> None:
    """Create an API key; the key itself is printed once, alone on the last line."""
    from skygate.api.security import KeyStore, Role
    from skygate.store import open_store

    try:
        role_value = Role(role.strip().lower())
    except ValueError:
        raise InputError(f"unknown role {role!r}", where="--role",
                         hint="use customer, operator, regulator, auditor or admin") from None
    owner = owner or (f"{role_value.value}-{country.upper()}" if country else role_value.value)
    with open_store() as store:
        record, key = KeyStore(store).create(role_value, owner, country)
    scope = f" for {record.country}" if record.country else ""
    print(f"created {record.role.value} key {record.id} for {record.owner!r}{scope}.")
    print("Store it now: it is shown only this once (skygate keeps only its SHA-256 hash).")
    print("Send it as 'Authorization: Bearer <key>'. The key:")
    print(key)


@keys_app.command("list")
def keys_list() -> None:
    """List API keys (ids, owners, roles; never the secrets)."""
    from skygate.api.security import KeyStore
    from skygate.cli._common import emit_json
    from skygate.store import open_store

    with open_store() as store:
        emit_json([{"id": k.id, "owner": k.owner, "role": k.role.value, "country": k.country,
                    "created_at": k.created_at, "revoked_at": k.revoked_at}
                   for k in KeyStore(store).list()])


@keys_app.command("revoke")
def keys_revoke(key_id: str = typer.Argument(..., help="the key's id (see keys list)")) -> None:
    """Revoke an API key."""
    from skygate.api.security import KeyStore
    from skygate.store import open_store

    with open_store() as store:
        record = KeyStore(store).revoke(key_id)
    print(f"revoked key {record.id} ({record.role.value}, {record.owner!r})")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(keys_app, name="keys")
