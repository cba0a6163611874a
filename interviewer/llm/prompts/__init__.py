"""Prompts are Markdown files in this folder, filled in by `render`; outside text goes between `fence` markers.

A placeholder is `{{ name }}`. Every placeholder must be given a value and every value must be used, so a
renamed variable fails loudly instead of sending a prompt with a hole in it. Values are inserted in one pass:
text inside a value (a candidate's answer containing `{{ reference_answer }}`, say) is never expanded.
"""

from __future__ import annotations

import re
import secrets
from functools import cache
from importlib import resources

from interviewer.errors import InterviewerError

_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")


class PromptError(InterviewerError):
    """A prompt file and the values given to it do not match: a bug in the code that fills it."""


@cache
def template(name: str) -> str:
    """The text of `interviewer/llm/prompts/<name>.md`."""
    try:
        return resources.files(__package__).joinpath(f"{name}.md").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PromptError(f"No prompt file {name}.md in interviewer/llm/prompts/.") from None


def placeholders(name: str) -> set[str]:
    return set(_PLACEHOLDER.findall(template(name)))


def render(name: str, **values: str) -> str:
    """The prompt `name` with every placeholder filled; fails on a missing or an unused value."""
    wanted = placeholders(name)
    missing, unused = wanted - values.keys(), values.keys() - wanted
    if missing or unused:
        raise PromptError(
            f"Prompt {name}.md: missing values {sorted(missing)}, unused values {sorted(unused)}. "
            "Make the code that renders it and the file agree."
        )
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template(name)).strip() + "\n"


def fence(text: str, label: str) -> tuple[str, str]:
    """The opening and closing markers to put around `text` (a candidate's answer, an imported document) in a
    prompt: `<<<LABEL code>>>` and `<<<END LABEL code>>>`, with a fresh random code for every call.

    Text cannot close a marker it cannot guess, so everything between them stays data; the code is drawn again
    in the (practically impossible) case that the text already holds either marker.
    """
    label = label.upper()
    while True:
        code = secrets.token_hex(8)
        opening, closing = f"<<<{label} {code}>>>", f"<<<END {label} {code}>>>"
        if opening not in text and closing not in text:
            return opening, closing
