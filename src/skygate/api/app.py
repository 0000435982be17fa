"""The FastAPI application: ``create_app(settings=None)`` builds it, ``skygate serve`` runs it.

Everything is versioned under ``/api/v1`` (OpenAPI at ``/api/v1/openapi.json``); the service
map page is ``/`` with its assets under ``/static`` (built from ``web/`` by ``make web``).
The store is opened when the app starts (lifespan), not when it is created, so creating an
app is cheap and has no side effects.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from skygate.api.config import ApiSettings, ServerConfig
from skygate.api.errors import install_error_handlers
from skygate.settings import Settings

__all__ = ["create_app", "API_PREFIX", "STATIC_DIR", "static_ready", "BUILD_HINT"]

API_PREFIX = "/api/v1"
STATIC_DIR = Path(__file__).with_name("static")
BUILD_HINT = ("the web map's assets are not built: run `make web` (npm ci + npm run build in "
              "web/) from a source checkout; the API works without them")


def static_ready() -> bool:
    """True when the web map's built assets are present."""
    return (STATIC_DIR / "index.html").is_file() and (STATIC_DIR / "vendor" / "leaflet" / "leaflet.js").is_file()


def create_app(settings: Settings | None = None, api_settings: ApiSettings | None = None) -> FastAPI:
    """Build the skygate API app over the store that ``settings`` names."""
    from skygate.api import routes
    from skygate.api.services import Services

    config = ServerConfig.from_env(settings, api_settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.services = Services(config)
        app.state.services.warm_up()
        try:
            yield
        finally:
            app.state.services.close()

    app = FastAPI(
        title="skygate",
        version="1",
        summary="Service availability, policy, ledger and terminals of a LEO satellite service.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.config = config
    install_error_handlers(app)
    for router in routes.ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    _mount_page(app)
    return app


def _mount_page(app: FastAPI) -> None:
    if static_ready():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def index():
        """The service map page."""
        if not static_ready():
            return HTMLResponse(f"<!doctype html><title>skygate</title><p>{BUILD_HINT}. "
                                f"API: <a href='{API_PREFIX}/docs'>{API_PREFIX}/docs</a></p>",
                                status_code=503)
        return FileResponse(STATIC_DIR / "index.html")
