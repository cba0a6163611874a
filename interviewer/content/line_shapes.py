"""What a line of a question-and-answer document is: a question marker, an answer, advice, a reading list, a
bullet, a heading, or page furniture. `documents.py` walks a document with these."""

from __future__ import annotations

import re

NUMBERED = re.compile(r"^(?:Q|Question)\s*(\d{1,4})\s*[:.)]\s*(.*)$", re.IGNORECASE)
UNNUMBERED = re.compile(r"^(?:Q|Question)\s*:\s*(.*)$", re.IGNORECASE)
EXAMPLE_ANSWER = re.compile(r"^Example answer\s*:?\s*(.*)$", re.IGNORECASE)
ANSWER = re.compile(
    r"^(?:Answer|Ans|A|Sample answer|Suggested answer|Model answer)\s*:\s*(.*)$", re.IGNORECASE
)
TIP = re.compile(r"^(?:How to answer it\s*:?|Tip\s*:|Hint\s*:)\s*(.*)$", re.IGNORECASE)
READING = re.compile(
    r"^(?:More reading|Further reading|Reading|References?|See also)\s*:\s*(.*)$", re.IGNORECASE
)
RELATED = re.compile(r"^Related\s*:", re.IGNORECASE)
LABELLED = re.compile(r"^(Sample question|Example question|For example)\s*:\s*(.+)$", re.IGNORECASE)
BULLET = re.compile(r"^(\s*)([•\-*–·●▪◦]|\(?\d{1,2}[.)])\s+(.*)$")
LEADING_NUMBER = re.compile(r"^\d{1,2}[.)]\s+")
BRACKETED_ANSWER = re.compile(r"^(.*?[.?])\s*\(([^()]+)\)\.?$")
URL = re.compile(r"\s*\(?https?://\S+\)?")

# First words of a question or of a task an interviewer sets.
QUESTION_WORDS = frozenset(
    """what what's whats how how's why when where which who whom whose is are was were do does did can could
    should would will have has name list explain describe define compare contrast state give write find
    implement design build create suppose given tell walk discuss imagine estimate derive prove calculate
    compute merge check sort reverse count let's""".split()
)

# First words of the sentence that sets a coding task after a question's setting ("Write a function ...").
TASK_WORDS = frozenset("write implement compute return design build find".split())


def is_question(text: str) -> bool:
    """A question or task: it asks something, or one of its sentences starts with a question word."""
    plain = text.strip().strip("\"'“”‘’")
    if "?" in plain:
        return True
    return any(first_word(s) in QUESTION_WORDS for s in re.split(r"(?<=[.!;])\s+", plain) if s)


def first_word(text: str) -> str:
    words = re.findall(r"[A-Za-z']+", text)
    return words[0].lower().replace("’", "'") if words else ""


def join_lines(lines: list[str]) -> str:
    return re.sub(r"[ \t]+", " ", "\n".join(line.strip() for line in lines if line.strip())).strip()


def clean_question(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = LEADING_NUMBER.sub("", text)
    if len(text) > 2 and text[0] in "\"“'‘" and text[-1] in "\"”'’":
        text = text[1:-1].strip()
    return text


def unmarked(line: str) -> str:
    """Markdown around a marker removed: `### Q1. ...` and `**Q2:** ...` read as `Q1. ...` and `Q2: ...`."""
    text = line.strip()
    heading = re.match(r"^#{1,6}\s+(.*)$", text)
    if heading and (NUMBERED.match(heading.group(1)) or UNNUMBERED.match(heading.group(1))):
        text = heading.group(1)
    text = re.sub(r"^([*_]{1,2})([^*_]+?)\1(?=\s|$)\s*", r"\2 ", text).strip()
    return line[: len(line) - len(line.lstrip())] + text if text else ""


def markdown_heading(line: str) -> str | None:
    match = re.match(r"^#{1,6}\s+(.+?)\s*#*$", line.strip())
    return match.group(1).strip() if match else None


def heading_like(line: str) -> bool:
    text = line.strip()
    if markdown_heading(text):
        return True
    words = text.split()
    return (
        0 < len(words) <= 12
        and len(text) <= 90
        and text[-1] not in ".,;:!?"
        and text[0].isupper()
        and not BULLET.match(line)
        and not any(p.match(text) for p in (NUMBERED, ANSWER, READING, TIP, LABELLED))
    )


def prose(line: str) -> bool:
    text = line.strip()
    return bool(text) and text[-1] in ".!?:" and len(text.split()) >= 8


def noise(line: str) -> bool:
    """Stray words from a web page ('icon', 'footer-bg'): short, lower-case, unpunctuated."""
    text = line.strip()
    return len(text.split()) <= 2 and text[:1].islower() and text[-1:] not in ".!?:;,)"
