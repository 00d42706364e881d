"""Jinja2 set-up: templates, the i18n filters and globals every page gets."""

from __future__ import annotations

import dataclasses
import json
import weakref
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from markupsafe import Markup
from starlette.datastructures import URL, URLPath
from starlette.responses import Response

from tumbuh.accounts.roles import policy
from tumbuh.web.csrf import FIELD, csrf_token
from tumbuh.web.i18n import Lang, format_date, format_datetime, format_number, translate

TEMPLATES_DIR = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
# Templates ship with the code: no check of every template file's mtime on every render (a
# stat per template per page); a new release restarts the server.
templates.env.auto_reload = False


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


def _json_script(value: Any) -> Markup:
    """JSON safe inside <script type="application/json"> and single-quoted attributes."""
    text = json.dumps(value, ensure_ascii=False, default=_plain)
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("'", "\\u0027"),
    ):
        text = text.replace(char, escape)
    return Markup(text)


templates.env.filters["json_script"] = _json_script

# per router (by id, checked against a weak reference: routers are not hashable)
_url_paths: dict[int, tuple[weakref.ref[Any], dict[tuple[object, ...], URLPath]]] = {}


@pass_context
def _url_for(context: Any, name: str, /, **path_params: Any) -> URL:
    """Starlette's `url_for` with the route lookup kept per router (a page calls it for
    every stylesheet and script, and each lookup walks the routes raising NoMatchFound)."""
    request: Request = context["request"]
    router: Any = request.scope.get("router") or request.scope.get("app")
    key = (name, *sorted(path_params.items()))
    known = _url_paths.get(id(router))
    if known is None or known[0]() is not router:
        known = _url_paths[id(router)] = (weakref.ref(router), {})
    paths = known[1]
    path = paths.get(key)
    if path is None:
        path = paths[key] = router.url_path_for(name, **path_params)
    return path.make_absolute_url(base_url=request.base_url)


templates.env.globals["url_for"] = _url_for


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    lang: Lang,
    status_code: int = 200,
) -> Response:
    """Render a page with the language, translator, number/date filters, CSRF token and user."""
    user = getattr(request.state, "user", None)

    def t(key: str, **values: object) -> str:
        return translate(key, lang, **values)

    def num(value: float | int | None, decimals: int = 1) -> str:
        return format_number(value, decimals, lang)

    def date(value: Any) -> str:
        return format_date(value, lang)

    def datetime(value: Any) -> str:
        return format_datetime(value, lang)

    def label(group: str, code: Any) -> str:
        """The word for a domain code (water source, relation, status ...): the
        catalogue's ``group.code``; an unknown code is shown as it is, none as '–'."""
        if code is None or code == "":
            return "–"
        key = f"{group}.{code}"
        text = translate(key, lang)
        return str(code) if text == key else text

    token = csrf_token(request)
    ctx: dict[str, Any] = {
        "lang": lang,
        "t": t,
        "num": num,
        "date": date,
        "datetime": datetime,
        "label": label,
        "csrf_field": Markup(
            f'<input type="hidden" name="{FIELD}" value="{Markup.escape(token)}">'
        ),
        "user": user,
        "policy": policy(user.role) if user is not None else None,
        "path": request.url.path,
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, template, ctx, status_code=status_code)
