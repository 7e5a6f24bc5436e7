"""The judge app (FastAPI): readers tell real test posts from generated ones, one post at a time.

A reader types a name (kept in a SameSite=Strict cookie); the app shows that reader's own shuffled
sequence of test posts, never one already answered, with the account's handle and "12 of 40"
progress; each answer goes to data/human/answers.jsonl (``elm.human.AnswerLog``) before the next post
is shown. Pages are Jinja2 templates (autoescape on) from elm/report/templates; a post is always text.

Bound to loopback, the app answers only requests whose Host header names its own address (400 otherwise:
``HostCheck``, against DNS rebinding; ``elm.judge_server.host_names``). Every form post is checked before
anything is written: a body must declare its length and stay under MAX_BODY bytes (411, 413), come from
this app's own pages (403 for another Origin), name a reader (403) and only known fields (422), a post in
the reader's sequence (404) not answered before (409), and an answer of "real" or "generated" (422). None
of these changes the answers file.
"""
from __future__ import annotations

import pandas as pd
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.requests import ClientDisconnect

from elm.human import CHOICES, READER, AnswerLog, reader_posts
from elm.report import TEMPLATES, environment

MAX_BODY = 2048  # bytes of a form post: a post id, an answer and two ratings need far less
COOKIE = "elm_reader"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
           "Cache-Control": "no-store"}
RATING_VALUES = {"": None, "yes": True, "no": False}
ANSWER_FIELDS = {"post", "answer", "follow", "upbeat"}


class BodyLimit:
    """ASGI middleware: a POST must declare its Content-Length (411) of at most ``limit`` bytes (413),
    so no request body is read past the limit."""

    def __init__(self, app, limit: int = MAX_BODY):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "POST":
            length = dict(scope["headers"]).get(b"content-length")
            refusal = None
            if length is None:
                refusal = PlainTextResponse("411: a form post must say its length (Content-Length)", 411)
            elif not length.isdigit() or int(length) > self.limit:
                refusal = PlainTextResponse(f"413: a form post may hold at most {self.limit} bytes", 413)
            if refusal is not None:
                refusal.headers["Connection"] = "close"
                return await refusal(scope, receive, send)
        await self.app(scope, receive, send)


class HostCheck:
    """ASGI middleware: only a request whose Host header is one of ``names`` (name:port, any case) reaches the
    app; any other gets 400. A page on another site that points its own name at this machine (DNS rebinding)
    sends that name, so it cannot read the posts or answer."""

    def __init__(self, app, names: list[str]):
        self.app, self.names = app, {name.lower() for name in names}

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1").lower()
            if host not in self.names:
                refusal = PlainTextResponse("400: this judge answers only to the address it printed when it started "
                                            "(the Host header names another)", 400, headers={"Connection": "close"})
                return await refusal(scope, receive, send)
        await self.app(scope, receive, send)


def create_app(posts: pd.DataFrame, answers: AnswerLog, posts_per_reader: int, seed: int,
               allowed_hosts: list[str] | None) -> FastAPI:
    """The app over ``posts`` (``elm.human.judge_posts``). ``allowed_hosts``: the Host header values it
    answers (``elm.judge_server.host_names``: a loopback bind's own names, against DNS rebinding); None: any."""
    app = FastAPI(title="Elm judge", docs_url=None, redoc_url=None, openapi_url=None)
    if allowed_hosts is not None:
        app.add_middleware(HostCheck, names=allowed_hosts)
    app.add_middleware(BodyLimit)
    template = environment().get_template("judge.html")
    count = min(posts_per_reader, len(posts))

    def page(status: int = 200, **context) -> HTMLResponse:
        context = {"reader": None, "post": None, "error": None, "position": 0, "total": count, **context}
        return HTMLResponse(template.render(csp=CSP, **context), status_code=status, headers=HEADERS)

    def refuse(status: int, message: str) -> HTMLResponse:
        return page(status, error=f"{status}: {message}")

    def reader_of(request: Request) -> str | None:
        name = request.cookies.get(COOKIE, "")
        return name if READER.fullmatch(name) else None

    async def checked_form(request: Request, fields: set[str]) -> dict[str, str] | HTMLResponse:
        """The posted form as {field: value}, or the refusal: another origin, another content type,
        a repeated or unknown field."""
        origin = request.headers.get("origin")
        if origin is not None and origin.split("://", 1)[-1] != request.headers.get("host"):
            return refuse(403, "this form was posted from another site")
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
            return refuse(415, "post the form as application/x-www-form-urlencoded")
        try:
            form = await request.form()
        except ClientDisconnect:  # gone (or cut off: elm.judge_server) before the body was in; no one to answer
            return Response(status_code=400)
        keys = [key for key, _ in form.multi_items()]
        if len(keys) != len(set(keys)) or not set(keys) <= fields:
            return refuse(422, f"a form post holds each of {', '.join(sorted(fields))} at most once, nothing else")
        return {key: str(form[key]) for key in keys}

    @app.get("/", response_class=HTMLResponse)
    async def judge(request: Request):
        reader = reader_of(request)
        if reader is None:
            return page()
        sequence = reader_posts(posts.index, reader, seed, count)
        done = answers.answered(reader)
        remaining = [post_id for post_id in sequence if post_id not in done]
        if not remaining:
            return page(reader=reader, position=count)
        row = posts.loc[remaining[0]]
        return page(reader=reader, position=count - len(remaining) + 1,
                    post={"id": row["id"], "text": row["text"], "account": row["account"]})

    @app.post("/reader")
    async def set_reader(request: Request):
        form = await checked_form(request, {"name"})
        if isinstance(form, Response):
            return form
        name = form.get("name", "").strip()
        if not READER.fullmatch(name):
            return refuse(422, "a name is 1 to 40 letters, digits, '.', '_' or '-'")
        response = RedirectResponse("/", status_code=303, headers=HEADERS)
        response.set_cookie(COOKIE, name, max_age=365 * 24 * 3600, httponly=True, samesite="strict")
        return response

    @app.post("/forget")
    async def forget(request: Request):
        form = await checked_form(request, set())
        if isinstance(form, Response):
            return form
        response = RedirectResponse("/", status_code=303, headers=HEADERS)
        response.delete_cookie(COOKIE, httponly=True, samesite="strict")
        return response

    @app.post("/answer")
    async def answer(request: Request):
        form = await checked_form(request, ANSWER_FIELDS)
        if isinstance(form, Response):
            return form
        reader = reader_of(request)
        if reader is None:
            return refuse(403, "no reader: type your name on the first page")
        post_id = form.get("post", "")
        if post_id not in set(reader_posts(posts.index, reader, seed, count)):
            return refuse(404, "unknown post: it is not one of the posts this reader judges")
        if form.get("answer") not in CHOICES:
            return refuse(422, "the answer must be 'real' or 'generated'")
        ratings = {name: form.get(name, "") for name in ("follow", "upbeat")}
        if any(value not in RATING_VALUES for value in ratings.values()):
            return refuse(422, "follow and upbeat must be 'yes', 'no' or empty")
        if not answers.append(post_id, reader, form["answer"], *(RATING_VALUES[v] for v in ratings.values())):
            return refuse(409, "this reader already answered this post; the first answer stands")
        return RedirectResponse("/", status_code=303, headers=HEADERS)

    @app.get("/style.css")
    async def stylesheet():
        return Response((TEMPLATES / "style.css").read_bytes(), media_type="text/css", headers=HEADERS)

    @app.get("/judge.js")
    async def script():
        return Response((TEMPLATES / "judge.js").read_bytes(), media_type="text/javascript", headers=HEADERS)

    return app
