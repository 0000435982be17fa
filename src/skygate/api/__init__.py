"""skygate's REST API and web service map (FastAPI; the ``web`` extra).

``create_app(settings=None)`` returns the app; ``skygate serve`` runs it with uvicorn.
"""

from __future__ import annotations

try:
    import fastapi  # noqa: F401
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the install
    raise ModuleNotFoundError(
        "skygate's API needs the web extra: pip install 'skygate[web]'") from exc

from skygate.api.app import API_PREFIX, create_app
from skygate.api.config import ApiSettings

__all__ = ["create_app", "ApiSettings", "API_PREFIX"]
