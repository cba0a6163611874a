"""Who is asking: the owner whose sessions a visitor of the page may list, open, answer in and delete.

With a password (`INTERVIEWER_AUTH`) the owner is the login name, which Gradio checks on every request, so the
same user finds their History in any browser. Without one, it is a random id the page keeps in a cookie
(`iv_owner`: 128 bits from the browser's cryptographic random source, made on the first visit and kept for a
year), so one browser's History is not another's. That id tells browsers apart; it authenticates no one, and
clearing the browser's cookies starts a new History.

A session saved without an owner (before owners were kept, or by a client that sends no cookie, such as a
script using gradio_client) belongs to no one: a page without a password shows it to every visitor, a page
with one to nobody, since any of its users might have made it.

Every handler that touches a session asks `Visitor.may_open` on the server; a session that is not the
visitor's is refused with the same words as one that does not exist, so an id reveals nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import gradio as gr

OWNER_COOKIE = "iv_owner"
OWNER_ID = re.compile(r"[0-9a-f]{32}")

# In the page's <head>, so the cookie is set before the page's first event (which opens `?session=…`).
# An id that is missing or malformed is replaced; a good one is kept and its year starts again.
OWNER_COOKIE_SCRIPT = f"""
<script>
(() => {{
  const name = "{OWNER_COOKIE}";
  const found = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
  let id = found ? found.slice(name.length + 1) : "";
  if (!/^[0-9a-f]{{32}}$/.test(id)) {{
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }}
  const secure = location.protocol === "https:" ? "; Secure" : "";
  document.cookie = `${{name}}=${{id}}; Path=/; Max-Age=31536000; SameSite=Strict${{secure}}`;
}})();
</script>
"""


@dataclass(frozen=True)
class Visitor:
    """The owner a request speaks for (None: no one), and whether the page requires a password."""

    owner: str | None
    password_page: bool

    def may_open(self, owner: str | None) -> bool:
        """Whether a session saved with `owner` is this visitor's to see and act on."""
        if owner is None:
            return not self.password_page
        return owner == self.owner

    @property
    def sees_unowned(self) -> bool:
        return not self.password_page


def visitor_of(request: gr.Request | None, password_page: bool) -> Visitor:
    """The visitor behind a Gradio request. On a password page only the login counts (a request without one
    owns nothing); otherwise the browser's `iv_owner` cookie, when it holds a well-formed id."""
    if password_page:
        user = getattr(request, "username", None) if request is not None else None
        return Visitor(f"user:{user}" if user else None, password_page=True)
    cookies = getattr(request, "cookies", None) if request is not None else None
    browser = cookies.get(OWNER_COOKIE) if cookies is not None else None
    if isinstance(browser, str) and OWNER_ID.fullmatch(browser):
        return Visitor(f"browser:{browser}", password_page=False)
    return Visitor(None, password_page=False)
