"""The dashboard: `web/` served as static files, browser libraries from `web/node_modules`.

- Own files (HTML, CSS, ES modules) are read once at start-up and served under
  `/assets/{build}/...`, where `build` is a hash of all of them: a new release gets new URLs,
  so the files can be cached for a year (`immutable`) and `index.html` is revalidated each
  visit (`no-cache` with an ETag).
- Browser libraries are the npm `dependencies` of `web/package.json` (and theirs), served
  under `/vendor/{lock hash}/{package}/...` and reached through an import map that the page
  gets written into `index.html` here; only those packages are reachable, never all of
  `node_modules`.
- Every page response carries a strict Content-Security-Policy: scripts only from this
  origin, the import map allowed by its SHA-256 hash, no inline code.
- `GET /app/session` tells the page whether it is signed in (always 200, so a signed-out
  visit logs no failed request) and which account and live-update path to use.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import json
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import structlog
from aiohttp import web

from ..core.errors import ServiceError
from ..state import RUNTIME, SETTINGS
from .identity import identify
from .responses import json_response

log = structlog.get_logger("portfolio_rt.web")

DEFAULT_WEB_DIR = Path(__file__).resolve().parents[2] / "web"
OWN_SUFFIXES = frozenset({".html", ".css", ".js", ".svg", ".png", ".woff2", ".webmanifest"})
VENDOR_SUFFIXES = frozenset({".js", ".mjs", ".css", ".json"})
COMPRESSIBLE = frozenset({".html", ".css", ".js", ".mjs", ".svg", ".json", ".webmanifest"})
IMMUTABLE = "public, max-age=31536000, immutable"
_HOST = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")
LIVE_PREFIX = "/ws/portfolio/"
_FALLBACK_PAGE = "<!doctype html><title>Portfolio</title><p>The dashboard files are missing.</p>"

_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".woff2": "font/woff2",
    ".png": "image/png",
}


@dataclass(frozen=True)
class Asset:
    """One file ready to send: its bytes, a gzip copy when worth it, and a strong ETag."""

    body: bytes
    content_type: str
    gzipped: bytes | None
    etag: str

    @classmethod
    def of(cls, body: bytes, suffix: str) -> Asset:
        content_type = _TYPES.get(suffix) or mimetypes.guess_type("x" + suffix)[0] or "text/plain"
        gzipped = None
        if suffix in COMPRESSIBLE and len(body) > 512:
            packed = gzip.compress(body, compresslevel=9, mtime=0)
            gzipped = packed if len(packed) < len(body) else None
        return cls(body, content_type, gzipped, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


@dataclass
class Dashboard:
    """The page's files, its import map, its security headers and the page itself, built once
    at start-up."""

    root: Path
    build: str = ""
    vendor_id: str = ""
    own: dict[str, Asset] = field(default_factory=dict)
    packages: dict[str, Path] = field(default_factory=dict)
    vendor: dict[str, Asset] = field(default_factory=dict)
    import_map: str = ""
    csp: str = ""
    index: Asset = field(default_factory=lambda: Asset.of(_FALLBACK_PAGE.encode(), ".html"))

    @classmethod
    def load(cls, root: Path) -> Dashboard:
        page = cls(root=root)
        files: dict[str, bytes] = {}
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                rel = path.relative_to(root)
                if rel.parts[0] in {"node_modules", "tests"} or rel.name == "index.html":
                    continue
                if path.is_file() and path.suffix in OWN_SUFFIXES:
                    files[rel.as_posix()] = path.read_bytes()
        else:
            log.warning("web.missing", web_dir=str(root))
        digest = hashlib.sha256()
        for name, body in files.items():
            digest.update(name.encode() + b"\0" + body + b"\0")
        page.build = digest.hexdigest()[:12]
        page.own = {
            name: Asset.of(body, PurePosixPath(name).suffix) for name, body in files.items()
        }
        page.packages = _browser_packages(root)
        lock = root / "package-lock.json"
        page.vendor_id = hashlib.sha256(lock.read_bytes() if lock.exists() else b"").hexdigest()[
            :12
        ]
        page.import_map = json.dumps(
            {"imports": page._imports()}, indent=2, separators=(",", ": "), sort_keys=True
        )
        script_hash = base64.b64encode(hashlib.sha256(page.import_map.encode()).digest()).decode()
        page.csp = "; ".join(
            [
                "default-src 'none'",
                f"script-src 'self' 'sha256-{script_hash}'",
                "style-src 'self'",
                "img-src 'self' data:",
                "font-src 'self'",
                "connect-src 'self' {live_origin}",
                "manifest-src 'self'",
                "frame-ancestors 'none'",
                "base-uri 'none'",
                "form-action 'self'",
            ]
        )
        if not page.packages:
            log.warning("web.no_browser_packages", hint="run `npm ci` in web/")
        return page

    def _imports(self) -> dict[str, str]:
        imports: dict[str, str] = {}
        for name, folder in self.packages.items():
            base = f"/vendor/{self.vendor_id}/{name}/"
            entry = _module_entry(folder)
            if entry:
                imports[name] = base + entry
            imports[name + "/"] = base
        return imports

    def render_index(self, settings_attrs: dict[str, str]) -> None:
        """`index.html` with the build, the import map and the settings the page reads, made
        once per start: every visit then gets the same bytes, gzip copy and ETag."""
        template = self.root / "index.html"
        text = template.read_text(encoding="utf-8") if template.exists() else _FALLBACK_PAGE
        markup = {"importmap": self.import_map, "modulepreload": self.module_preloads()}
        values = {"build": self.build} | settings_attrs
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", html.escape(value, quote=True))
        for key, value in markup.items():
            text = text.replace("{{" + key + "}}", value)
        self.index = Asset.of(text.encode(), ".html")

    def module_preloads(self) -> str:
        """A `modulepreload` link for each of the page's own modules: the browser fetches them
        all at once instead of finding each import one round trip after the module that
        names it (what a phone on a slow network spends most of its first load on)."""
        links = [
            f'<link rel="modulepreload" href="/assets/{self.build}/{html.escape(name)}">'
            for name in self.own
            if name.startswith("js/") and name.endswith(".js") and name != "js/main.js"
        ]
        return "\n  ".join(links)

    def vendor_asset(self, package: str, rel: str) -> Asset | None:
        folder = self.packages.get(package)
        if folder is None:
            return None
        key = f"{package}/{rel}"
        cached = self.vendor.get(key)
        if cached is not None:
            return cached
        path = _inside(folder, rel)
        if path is None or path.suffix not in VENDOR_SUFFIXES or not path.is_file():
            return None
        asset = Asset.of(path.read_bytes(), path.suffix)
        self.vendor[key] = asset
        return asset


def _inside(folder: Path, rel: str) -> Path | None:
    """`folder/rel` only when it stays inside `folder` (no `..`, no absolute paths)."""
    parts = PurePosixPath(rel).parts
    if not parts or any(p in {"..", "."} or p.startswith(("/", "\\")) for p in parts):
        return None
    path = (folder / Path(*parts)).resolve()
    return path if path.is_relative_to(folder.resolve()) else None


def _browser_packages(root: Path) -> dict[str, Path]:
    """The npm `dependencies` of web/package.json and, transitively, theirs."""
    modules = root / "node_modules"
    found: dict[str, Path] = {}
    pending = list(_dependencies(root / "package.json"))
    while pending:
        name = pending.pop()
        folder = modules / name
        if name in found or not (folder / "package.json").is_file():
            continue
        found[name] = folder
        pending.extend(_dependencies(folder / "package.json"))
    return dict(sorted(found.items()))


def _dependencies(manifest: Path) -> list[str]:
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    deps = data.get("dependencies") or {}
    return [str(name) for name in deps] if isinstance(deps, dict) else []


def _module_entry(folder: Path) -> str | None:
    """The ES-module entry of a package: `exports["."].import`, else `module`."""
    try:
        data: dict[str, Any] = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    exports = data.get("exports")
    candidates: list[Any] = []
    if isinstance(exports, dict):
        dot = exports.get(".", exports)
        if isinstance(dot, dict):
            candidates += [dot.get("import"), dot.get("browser"), dot.get("default")]
        elif isinstance(dot, str):
            candidates.append(dot)
    candidates += [data.get("module"), data.get("browser"), data.get("main")]
    for candidate in candidates:
        if isinstance(candidate, dict):
            candidate = candidate.get("default")
        if isinstance(candidate, str) and candidate.endswith((".js", ".mjs")):
            return candidate.removeprefix("./")
    return None


DASHBOARD = web.AppKey("dashboard", Dashboard)
routes = web.RouteTableDef()


def _headers(request: web.Request, page: Dashboard, cache: str) -> dict[str, str]:
    # The live socket is on this same host; named explicitly, as browsers that predate CSP 3
    # do not let 'self' cover ws:// and wss:// (both: TLS may end at a proxy in front).
    host = request.host
    live = f"ws://{host} wss://{host}" if _HOST.fullmatch(host) else ""
    return {
        "Content-Security-Policy": page.csp.replace(" {live_origin}", f" {live}".rstrip()),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
        "Cache-Control": cache,
    }


def _send(request: web.Request, asset: Asset, cache: str) -> web.Response:
    headers = _headers(request, request.app[DASHBOARD], cache) | {
        "ETag": asset.etag,
        "Vary": "Accept-Encoding",
    }
    if asset.etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    body = asset.body
    if asset.gzipped is not None and "gzip" in request.headers.get("Accept-Encoding", ""):
        body = asset.gzipped
        headers["Content-Encoding"] = "gzip"
    response = web.Response(body=body, headers=headers, content_type=asset.content_type)
    if asset.content_type.startswith(("text/", "application/json")):
        response.charset = "utf-8"
    return response


@routes.get("/")
async def index(request: web.Request) -> web.Response:
    return _send(request, request.app[DASHBOARD].index, "no-cache")


@routes.get("/assets/{build}/{path:.+}")
async def own_asset(request: web.Request) -> web.Response:
    page = request.app[DASHBOARD]
    asset = page.own.get(request.match_info["path"])
    if request.match_info["build"] != page.build or asset is None:
        raise web.HTTPNotFound()
    return _send(request, asset, IMMUTABLE)


@routes.get("/vendor/{vendor}/{path:.+}")
async def vendor_asset(request: web.Request) -> web.Response:
    page = request.app[DASHBOARD]
    path = request.match_info["path"]
    asset = None
    if request.match_info["vendor"] == page.vendor_id:
        for name in page.packages:
            if path.startswith(name + "/"):
                asset = page.vendor_asset(name, path[len(name) + 1 :])
                break
    if asset is None:
        raise web.HTTPNotFound()
    return _send(request, asset, IMMUTABLE)


@routes.get("/app/session")
async def session_state(request: web.Request) -> web.Response:
    """Signed in or not, always 200: the page decides between its login screen and the data."""
    runtime = request.app[RUNTIME]
    body: dict[str, Any] = {
        "authenticated": False,
        "password_login": runtime.users is not None,
    }
    try:
        identity = identify(request)
    except ServiceError:
        identity = None
    if identity is not None:
        body |= {
            "authenticated": True,
            "account_id": str(identity.account_id),
            "can_write": "write" in identity.scopes,
            "live_path": f"{LIVE_PREFIX}{identity.account_id}" if _has_live(request) else None,
        }
    response = json_response(body)
    response.headers["Cache-Control"] = "no-store"
    return response


def _has_live(request: web.Request) -> bool:
    for resource in request.app.router.resources():
        info = resource.get_info()
        if str(info.get("formatter") or info.get("path") or "").startswith(LIVE_PREFIX):
            return True
    return False


def web_dir(configured: str) -> Path:
    """`dashboard.web_dir` when set; else this source tree's `web/`, else `./web` (an
    installed package in a container whose working directory holds `web/`)."""
    if configured:
        return Path(configured)
    if (DEFAULT_WEB_DIR / "index.html").exists():
        return DEFAULT_WEB_DIR
    return Path.cwd() / "web"


def setup(app: web.Application) -> None:
    """Serve the dashboard from `dashboard.web_dir` (default: see `web_dir`)."""
    settings = app[SETTINGS]
    page = Dashboard.load(web_dir(settings.dashboard.web_dir))
    page.render_index(
        {
            "scores_refresh_s": f"{settings.dashboard.scores_refresh_s:g}",
            "max_deposit": str(settings.funds.max_deposit),
        }
    )
    app[DASHBOARD] = page
    app.add_routes(routes)
