"""A scripted "browser": drives the OP's HTML pages the way the suite's browser automation does.

It keeps cookies (one :class:`Browser` = one browser profile), follows redirects by hand, and when
the OP shows an HTML page holding a ``<form method=post>`` it fills and submits it:

* every input keeps its value (hidden fields such as CSRF tokens included);
* inputs named in the config's ``user.fields`` get the configured value (login);
* the submit button matching the config's ``consent`` (then ``logout_confirm``) name/value is
  pressed, else the first submit button;
* the form action is resolved against the page URL.

Navigation stops when a redirect leaves the OP (its Location starts with one of the given
``stop_at`` prefixes, e.g. the client's redirect_uri, or points to another origin): the redirect
URIs are never served, we only read the parameters off the Location.  It also stops at any page
that has nothing to submit; that page is the "error page" / "logged-out page" of the suite's
placeholders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests

MAX_FORM_STEPS = 10
MAX_SAME_FORM = 3            # the same form submitted more often than this: we are going in circles
MAX_REDIRECTS = 30
REDIRECT_CODES = (301, 302, 303, 307, 308)
FIELD_INPUT_SKIP = {"submit", "image", "button", "reset", "file"}


@dataclass
class Button:
    name: str | None
    value: str
    label: str


@dataclass
class Form:
    form_id: str | None
    action: str
    method: str
    fields: list = field(default_factory=list)       # [(name, value, type)]
    buttons: list = field(default_factory=list)      # [Button]

    @property
    def input_names(self) -> set[str]:
        return {name for name, _, _ in self.fields}

    def has_password(self) -> bool:
        return any(kind == "password" for _, _, kind in self.fields)


class _FormParser(HTMLParser):
    """Collects forms, their inputs and submit buttons (including HTML5 ``form="id"`` owners)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._current: Form | None = None
        self._orphans: list[tuple[str, object]] = []    # (form id, field tuple or Button)
        self._button: dict | None = None
        self._select: dict | None = None
        self._textarea: dict | None = None
        self.title = ""
        self._in_title = False

    # -- helpers -------------------------------------------------------------------
    def _owner_add(self, attrs: dict, item: object) -> None:
        owner = attrs.get("form")
        if owner:
            self._orphans.append((owner, item))
        elif self._current is not None:
            target = self._current.buttons if isinstance(item, Button) else self._current.fields
            target.append(item)

    # -- HTMLParser callbacks ----------------------------------------------------------
    def handle_starttag(self, tag, attrs_list):
        attrs = {k: (v if v is not None else "") for k, v in attrs_list}
        if tag == "title":
            self._in_title = True
        elif tag == "form":
            self._current = Form(attrs.get("id"), attrs.get("action", ""),
                                 (attrs.get("method") or "get").lower())
            self.forms.append(self._current)
        elif tag == "input":
            kind = (attrs.get("type") or "text").lower()
            name = attrs.get("name")
            if kind in ("submit", "image"):
                self._owner_add(attrs, Button(name, attrs.get("value", ""), attrs.get("value", "")))
            elif name and kind not in FIELD_INPUT_SKIP:
                if kind in ("checkbox", "radio") and "checked" not in attrs:
                    return
                default = "on" if kind in ("checkbox", "radio") else ""
                self._owner_add(attrs, (name, attrs.get("value", default), kind))
        elif tag == "button":
            kind = (attrs.get("type") or "submit").lower()
            self._button = {"attrs": attrs, "kind": kind, "text": ""}
        elif tag == "select":
            self._select = {"attrs": attrs, "first": None, "selected": None}
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in attrs:
                self._select["selected"] = value
        elif tag == "textarea":
            self._textarea = {"attrs": attrs, "text": ""}

    def handle_startendtag(self, tag, attrs_list):
        self.handle_starttag(tag, attrs_list)
        if tag in ("button", "select", "textarea", "form"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        elif tag == "form":
            self._current = None
        elif tag == "button" and self._button is not None:
            button, self._button = self._button, None
            if button["kind"] == "submit":
                attrs = button["attrs"]
                self._owner_add(attrs, Button(attrs.get("name"), attrs.get("value", ""),
                                              button["text"].strip()))
        elif tag == "select" and self._select is not None:
            select, self._select = self._select, None
            name = select["attrs"].get("name")
            value = select["selected"] if select["selected"] is not None else select["first"]
            if name and value is not None:
                self._owner_add(select["attrs"], (name, value, "select"))
        elif tag == "textarea" and self._textarea is not None:
            area, self._textarea = self._textarea, None
            name = area["attrs"].get("name")
            if name:
                self._owner_add(area["attrs"], (name, area["text"], "textarea"))

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        if self._button is not None:
            self._button["text"] += data
        if self._textarea is not None:
            self._textarea["text"] += data

    def close(self):
        super().close()
        by_id = {form.form_id: form for form in self.forms if form.form_id}
        for owner, item in self._orphans:
            form = by_id.get(owner)
            if form is None:
                continue
            (form.buttons if isinstance(item, Button) else form.fields).append(item)


def parse_forms(html: str) -> tuple[list[Form], str]:
    """Return the page's forms and its <title>."""
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms, parser.title.strip()


@dataclass
class Navigation:
    """What happened during one navigation (e.g. one authorization request)."""

    callback: str | None = None           # the Location that left the OP (redirect_uri, post-logout URI, ...)
    callback_method: str = "GET"
    callback_body: dict | None = None     # form_post style callback (auto-submitted form to the RP)
    final: requests.Response | None = None  # last OP response when we did not leave the OP
    login_form_shown: bool = False
    ui_shown: bool = False
    forms_submitted: int = 0
    gave_up: str | None = None
    trail: list = field(default_factory=list)   # [(method, url, status)]
    title: str = ""

    def describe_final(self) -> str:
        if self.gave_up:
            return self.gave_up
        if self.final is None:
            return "no response"
        ctype = self.final.headers.get("Content-Type", "?").split(";")[0]
        title = f" '{self.title}'" if self.title else ""
        parts = urlsplit(self.final.url)
        return f"HTTP {self.final.status_code} {ctype}{title} at {parts.path or '/'}"

    @property
    def final_is_html(self) -> bool:
        return self.final is not None and "html" in self.final.headers.get("Content-Type", "").lower()


class Browser:
    """One browser profile: a cookie jar plus the form-filling rules from the harness config."""

    def __init__(self, config: dict, op_origin: str, timeout: float = 15.0) -> None:
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "yimen-oidf-harness/1.0 (browser)"
        self.session.headers["Accept"] = "text/html,application/xhtml+xml,*/*;q=0.8"
        self.user_fields: dict = dict((config.get("user") or {}).get("fields") or {})
        # preferred submit buttons: consent ("allow") first, then an optional logout confirmation
        self.preferred_buttons: list[dict] = [dict(config[key]) for key in ("consent", "logout_confirm")
                                              if isinstance(config.get(key), dict)]
        self.op_origin = _origin(op_origin)
        self.timeout = timeout

    # -- public API ----------------------------------------------------------------
    def navigate(self, url: str, stop_at: list[str], method: str = "GET",
                 data: dict | None = None) -> Navigation:
        """Open ``url`` like a user would and follow the OP's pages until we leave the OP."""
        nav = Navigation()
        response = self._request(nav, method, url, data)
        form_steps = 0
        redirects = 0
        seen_forms: dict[tuple, int] = {}
        while True:
            if response.status_code in REDIRECT_CODES and response.headers.get("Location"):
                redirects += 1
                target = urljoin(response.url, response.headers["Location"])
                if self._leaves_op(target, stop_at):
                    nav.callback = target
                    return nav
                if redirects > MAX_REDIRECTS:
                    nav.gave_up = f"more than {MAX_REDIRECTS} redirects (last: {target})"
                    nav.final = response
                    return nav
                keep_body = response.status_code in (307, 308)
                response = self._request(nav, method if keep_body else "GET", target,
                                         data if keep_body else None)
                if not keep_body:
                    method, data = "GET", None
                continue

            nav.final = response
            if "html" not in response.headers.get("Content-Type", "").lower():
                return nav
            forms, nav.title = parse_forms(response.text)
            form = self._pick_form(forms)
            if form is None:
                return nav
            nav.ui_shown = True
            if self._is_login_form(form):
                nav.login_form_shown = True
            action = urljoin(response.url, form.action or response.url)
            body = self._fill(form)
            if self._leaves_op(action, stop_at):
                nav.callback, nav.callback_method, nav.callback_body = action, "POST", body
                return nav
            signature = (action, tuple(sorted(body)))
            seen_forms[signature] = seen_forms.get(signature, 0) + 1
            if seen_forms[signature] > MAX_SAME_FORM:
                nav.gave_up = (f"the OP keeps showing the same form at {urlsplit(response.url).path} "
                               f"('{nav.title}'); wrong user.fields in the config, or a form the "
                               "harness should not submit?")
                return nav
            if form_steps >= MAX_FORM_STEPS:
                nav.gave_up = (f"gave up after {MAX_FORM_STEPS} form submissions "
                               f"(still at {response.url}, page '{nav.title}')")
                return nav
            form_steps += 1
            nav.forms_submitted = form_steps
            method, url, data = "POST", action, body
            response = self._request(nav, method, url, data)

    # -- internals ------------------------------------------------------------------
    def _request(self, nav: Navigation, method: str, url: str, data: dict | None) -> requests.Response:
        response = self.session.request(method, url, data=data, allow_redirects=False,
                                        timeout=self.timeout)
        nav.trail.append((method, url, response.status_code))
        return response

    def _leaves_op(self, url: str, stop_at: list[str]) -> bool:
        if any(prefix and url.startswith(prefix) for prefix in stop_at):
            return True
        return _origin(url) != self.op_origin

    def _is_login_form(self, form: Form) -> bool:
        if form.has_password():
            return True
        visible = {name for name, _, kind in form.fields if kind != "hidden"}
        return bool(visible & set(self.user_fields))

    def _pick_form(self, forms: list[Form]) -> Form | None:
        posts = [form for form in forms if form.method == "post"]
        if not posts:
            return None
        for form in posts:
            if self._is_login_form(form):
                return form
        for form in posts:
            if self._matching_button(form) is not None:
                return form
        return posts[0]

    def _matching_button(self, form: Form) -> Button | None:
        for preferred in self.preferred_buttons:
            name, value = preferred.get("button_name"), preferred.get("button_value")
            for button in form.buttons:
                if name and button.name == name and (value is None or button.value == value):
                    return button
        return None

    def _fill(self, form: Form) -> dict:
        body: dict = {}
        for name, value, _ in form.fields:
            body[name] = self.user_fields.get(name, value)
        button = self._matching_button(form) or (form.buttons[0] if form.buttons else None)
        if button is not None and button.name:
            body[button.name] = button.value
        return body


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
