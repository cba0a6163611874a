"""What the page shows for a session: the chat, the score card, the report, the downloads and the clock.

Pure functions of the session's transcript (plus the bank for reference answers and the seconds spent per
question, kept with the session), so a refreshed page, a restarted server and a live session all show the
same thing.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from interviewer.config import PROJECT_DIR
from interviewer.content.loader import Bank
from interviewer.errors import InterviewerError
from interviewer.interview import report
from interviewer.interview.report import ReportExtras
from interviewer.interview.retry import comparison_for, comparison_html, waiting_html
from interviewer.interview.scorecard import esc, score_card
from interviewer.interview.session import hint_note
from interviewer.interview.storage import SessionSummary
from interviewer.models import Transcript, Turn

Chat = list[dict[str, str]]
# The default `Settings.exports_dir`; the page passes its own settings' directory.
EXPORT_DIR = PROJECT_DIR / ".interviewer" / "exports"
EXPORT_STAMP = ".transcript.sha256"  # beside the exports: the hash of the transcript they were written from


def end_message(transcript: Transcript) -> str:
    return f"That's the end of the interview. Your overall score is {transcript.overall_score}/10."


_CODE = re.compile(r"(```.*?(?:```|$)|`[^`\n]*`)", re.DOTALL)  # fenced blocks and inline code spans


def inert_html(text: str) -> str:
    """The candidate's Markdown with every `<` outside code shown as text, so a tag typed in an answer (an
    `<img>` fetching a remote image, a form) stays words in the chat; code keeps its `<` as written."""
    return "".join(
        part if index % 2 else part.replace("<", "&lt;") for index, part in enumerate(_CODE.split(text))
    )


def message(turn: Turn) -> dict[str, str]:
    if turn.role == "interviewer":
        return {"role": "assistant", "content": turn.text}
    return {"role": "user", "content": inert_html(turn.text)}


def chat_of(transcript: Transcript) -> Chat:
    """The whole conversation so far, rebuilt from the transcript."""
    chat = [message(t) for q in transcript.questions for t in q.turns]
    if transcript.finished:
        chat.append({"role": "assistant", "content": end_message(transcript)})
    return chat


def info_notice(text: str) -> str:
    """A notice that informs rather than refuses: escaped (it quotes what the user typed), not in red."""
    return f'<p class="iv-info">{esc(text)}</p>'


def found_about(text: str, questions: Sequence[str]) -> str:
    """What "Ask me about" found: the questions themselves, so the user can see they are about the text."""
    listed = " · ".join(questions)
    noun = "question" if len(questions) == 1 else "questions"
    return f"Found {len(questions)} {noun} about “{text.strip()}”: {listed}"


def nothing_about(text: str) -> str:
    return (
        f"Nothing in the bank is close to “{text.strip()}” with these filters, so no interview was started. "
        "Try other words, widen the topics, or clear the “Ask me about” box."
    )


INTRO = "**Welcome.** Choose topics (or none, for all), press **Start**, then answer each question and press **Send**."


def latest_card(transcript: Transcript, bank: Bank) -> str:
    """The score card of the most recent graded answer (study mode), or a note saying why there is none.

    A follow-up's card shows the question's score after it as its big number (the follow-up's own grade is
    about one key point), and an answer after the reveal is marked as practice, not counted. Each card offers
    Try again; a retry's card is headed by what changed against the last attempt (`interview/retry.py`)."""
    if transcript.config.mode == "exam":
        return "<p><i>Exam mode: your scores and feedback come in the report at the end.</i></p>"
    for number, q in reversed(list(enumerate(transcript.questions, start=1))):
        kinds = report.answer_kinds(q)
        for index in sorted(kinds, reverse=True):
            turn, kind = q.turns[index], kinds[index]
            assert turn.grade is not None
            heading = f"Question {number}"
            if kind == "follow_up":
                asked = next((t for t in reversed(q.turns[:index]) if t.kind == "follow_up"), None)
                point = asked.key_point if asked else None
                heading += f", follow-up on: {point}" if point else ", follow-up"
            elif kind == "practice":
                heading += ", practice after the reveal"
            entry = bank.entries.get(q.entry_id)  # None when removed since the session was saved
            reference = entry.reference_answer if entry else None
            card = score_card(
                turn.grade,
                turn.text,
                reference,
                heading=heading,
                kind=kind,
                question_score=q.score,
                hint_note=hint_note(q, turn.grade.score) if kind == "main" else "",
            )
            comparison = comparison_for(transcript) if kind == "main" else None
            compared = comparison_html(comparison) if comparison else ""
            retry = try_again_button(transcript.session_id, q.entry_id) if entry else ""
            return compared + retry + card
    if transcript.config.retry_of is not None:
        return waiting_html(transcript.config.retry_of)
    return "<p><i>Your score card appears here after each answer.</i></p>"


def try_again_button(session_id: str, entry_id: str) -> str:
    """A "Try again" button for one question of a session: the page's script (`web/retry_panel.py`) sends its
    session and question to the server, which starts a one-question session on it."""
    return (
        f'<p class="iv-retry-bar"><button class="iv-retry" data-session="{esc(session_id)}" '
        f'data-entry="{esc(entry_id)}">Try again</button></p>'
    )


def report_extras(transcript: Transcript, bank: Bank, seconds: Sequence[float] = ()) -> ReportExtras:
    """The reference answers of the transcript's questions still in the bank, and the seconds spent on each."""
    references = {
        q.entry_id: bank.entries[q.entry_id].reference_answer
        for q in transcript.questions
        if q.entry_id in bank.entries
    }
    return ReportExtras(references=references, seconds=tuple(seconds))


def private_dir(path: Path) -> Path:
    """`path` as a directory only its owner may enter (0700), refusing a symlink planted in its place (or in
    place of its parent), which would send someone's report wherever the link points."""
    for step in (path.parent, path):
        if step.is_symlink():
            raise InterviewerError(
                f"{step} is a symbolic link; exports are not written through one. Remove it."
            )
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only (0600), never following a symlink planted at its name."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(path, 0o600)


def export_files(
    transcript: Transcript, extras: ReportExtras = report.NO_EXTRAS, *, root: Path | None = None
) -> tuple[Path, Path, Path]:
    """The report as Markdown, JSON and self-contained HTML files, for the download buttons, under `root`
    (`Settings.exports_dir`, inside the data directory) with private permissions.

    Every view of a finished interview asks for them, so they are written only when the transcript (or the
    extras) differ from those they were written from: a stamp beside them holds their hash."""
    root = EXPORT_DIR if root is None else root
    folder = root / transcript.session_id
    stem = f"interview-{transcript.session_id}"
    files = (folder / f"{stem}.md", folder / f"{stem}.json", folder / f"{stem}.html")
    stamp = folder / EXPORT_STAMP
    written_from = transcript.model_dump_json() + json.dumps(
        [dict(extras.references), list(extras.seconds)], sort_keys=True
    )
    digest = hashlib.sha256(written_from.encode("utf-8")).hexdigest()
    private_dir(root)
    if folder.is_symlink():
        raise InterviewerError(
            f"{folder} is a symbolic link; exports are not written through one. Remove it."
        )
    if all(f.exists() for f in files) and stamp.exists() and stamp.read_text(encoding="utf-8") == digest:
        return files
    private_dir(folder)
    _write_private(files[0], report.to_markdown(transcript, extras))
    _write_private(files[1], report.to_json(transcript, extras))
    _write_private(files[2], report.to_html(transcript, extras))
    _write_private(stamp, digest)  # last: files cut short by a crash are written again
    return files


def clock_html(deadline: float | None, now: float | None = None) -> str:
    """The exam clock. It carries the seconds left, not the deadline, so the browser's own clock (which may
    be set differently from the server's) counts them down from when the page shows the question; at zero
    the page's script says time is up and sends what is typed."""
    if deadline is None:
        return '<div id="iv-clock-box"></div>'
    left = max(0.0, deadline - (time.time() if now is None else now))
    return f'<div id="iv-clock-box"><span class="iv-clock" data-left="{left:.1f}">Time left: …</span></div>'


# The most telling first, so that on a phone the date and the score show without scrolling sideways.
HISTORY_HEADERS = ["date", "score", "questions", "topics", "mode"]


EXAM_HELD = "held until the end"  # an unfinished exam's score: seen early, it would help with the rest


def history_score(summary: SessionSummary) -> str:
    """The session's overall score; "so far" while it is unfinished, and none while an exam runs."""
    if summary.mode == "exam" and not summary.finished:
        return EXAM_HELD
    return f"{summary.overall_score:g}/10" + ("" if summary.finished else " so far")


def history_rows(summaries: list[SessionSummary]) -> list[list[object]]:
    """The History table: when, how, what, how many and how well; no ids (a row is opened by clicking it)."""
    return [
        [
            report.local_time(s.started_at),
            history_score(s),
            s.questions,
            s.topics or "(none asked)",
            s.mode,
        ]
        for s in summaries
    ]


def history_label(summary: SessionSummary) -> str:
    """One session in a line, for the list a row click chooses from."""
    topics = summary.topics or "no questions"
    return f"{report.local_time(summary.started_at)} · {summary.mode} · {topics} · {history_score(summary)}"


def resume_link(session_id: str) -> str:
    return f'<a href="?session={esc(session_id)}">Resume this interview</a>'


def exam_in_progress(transcript: Transcript) -> str:
    """An unfinished exam as History shows it: the questions asked and your own words, with no score, feedback,
    key point, follow-up or download, all of which the exam holds until it ends."""
    items = []
    for q in transcript.questions:
        said = [t.text for t in q.turns if t.role == "candidate"]
        answers = "".join(
            f'<blockquote style="white-space: pre-wrap">{esc(text)}</blockquote>' for text in said
        )
        items.append(
            f"<li><p><b>{esc(q.question)}</b> <i>({esc(q.topic)})</i></p>"
            + (f"<p>You answered:</p>{answers}" if said else "<p><i>Not answered yet.</i></p>")
            + "</li>"
        )
    return (
        '<div class="iv-report">'
        "<p><b>This exam is still running</b>: its scores, feedback and key points stay hidden until it ends. "
        f"{resume_link(transcript.session_id)}.</p><ol>{''.join(items)}</ol></div>"
    )


def remove_exports(session_id: str, root: Path | None = None, served_from: Path | None = None) -> None:
    """Delete a session's export files, and the copies Gradio made of them in `served_from` (its cache) to
    serve the downloads, so a download link of a deleted session finds nothing."""
    folder = (EXPORT_DIR if root is None else root) / session_id
    if folder.is_symlink():
        folder.unlink()  # the link only: never what it points at
    else:
        shutil.rmtree(folder, ignore_errors=True)
    if served_from is None:
        return
    for copy in served_from.glob(f"*/interview-{glob.escape(session_id)}.*"):
        copy.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            copy.parent.rmdir()  # Gradio's folder for that copy, when nothing else is in it


def sweep_exports(root: Path, retention_days: float, served_from: Path | None = None) -> int:
    """Remove the exports (and Gradio's copies of them) last written more than `retention_days` ago; returns how
    many sessions' exports went. The page runs it when it starts and after each export it writes."""
    if not root.is_dir() or root.is_symlink():
        return 0
    cutoff = time.time() - retention_days * 86400
    removed = 0
    for folder in root.iterdir():
        if folder.is_dir() and not folder.is_symlink() and folder.stat().st_mtime < cutoff:
            remove_exports(folder.name, root, served_from)
            removed += 1
    if served_from is not None and served_from.is_dir():
        for copy in served_from.glob("*/interview-*.*"):
            if copy.stat().st_mtime < cutoff:
                copy.unlink(missing_ok=True)
                with contextlib.suppress(OSError):
                    copy.parent.rmdir()
    return removed
