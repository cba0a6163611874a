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
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from interviewer.content.loader import Bank
from interviewer.interview import report
from interviewer.interview.report import ReportExtras
from interviewer.interview.scorecard import esc, score_card
from interviewer.interview.storage import SessionSummary
from interviewer.models import Transcript, Turn

Chat = list[dict[str, str]]
EXPORT_DIR = Path(tempfile.gettempdir()) / "interviewer-exports"  # a place Gradio may serve files from
EXPORT_STAMP = ".transcript.sha256"  # beside the exports: the hash of the transcript they were written from


def end_message(transcript: Transcript) -> str:
    return f"That's the end of the interview. Your overall score is {transcript.overall_score}/10."


def message(turn: Turn) -> dict[str, str]:
    return {"role": "assistant" if turn.role == "interviewer" else "user", "content": turn.text}


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
    about one key point), and an answer after the reveal is marked as practice, not counted."""
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
            return score_card(
                turn.grade, turn.text, reference, heading=heading, kind=kind, question_score=q.score
            )
    return "<p><i>Your score card appears here after each answer.</i></p>"


def report_extras(transcript: Transcript, bank: Bank, seconds: Sequence[float] = ()) -> ReportExtras:
    """The reference answers of the transcript's questions still in the bank, and the seconds spent on each."""
    references = {
        q.entry_id: bank.entries[q.entry_id].reference_answer
        for q in transcript.questions
        if q.entry_id in bank.entries
    }
    return ReportExtras(references=references, seconds=tuple(seconds))


def export_files(transcript: Transcript, extras: ReportExtras = report.NO_EXTRAS) -> tuple[Path, Path, Path]:
    """The report as Markdown, JSON and self-contained HTML files, for the download buttons.

    Every view of a finished interview asks for them, so they are written only when the transcript (or the
    extras) differ from those they were written from: a stamp beside them holds their hash."""
    folder = EXPORT_DIR / transcript.session_id
    stem = f"interview-{transcript.session_id}"
    files = (folder / f"{stem}.md", folder / f"{stem}.json", folder / f"{stem}.html")
    stamp = folder / EXPORT_STAMP
    written_from = transcript.model_dump_json() + json.dumps(
        [dict(extras.references), list(extras.seconds)], sort_keys=True
    )
    digest = hashlib.sha256(written_from.encode("utf-8")).hexdigest()
    if all(f.exists() for f in files) and stamp.exists() and stamp.read_text(encoding="utf-8") == digest:
        return files
    folder.mkdir(parents=True, exist_ok=True)
    files[0].write_text(report.to_markdown(transcript, extras), encoding="utf-8")
    files[1].write_text(report.to_json(transcript, extras), encoding="utf-8")
    files[2].write_text(report.to_html(transcript, extras), encoding="utf-8")
    stamp.write_text(digest, encoding="utf-8")  # last: files cut short by a crash are written again
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


def remove_exports(session_id: str, served_from: Path | None = None) -> None:
    """Delete a session's export files, and the copies Gradio made of them in `served_from` (its cache) to
    serve the downloads, so a download link of a deleted session finds nothing."""
    shutil.rmtree(EXPORT_DIR / session_id, ignore_errors=True)
    if served_from is None:
        return
    for copy in served_from.glob(f"*/interview-{glob.escape(session_id)}.*"):
        copy.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            copy.parent.rmdir()  # Gradio's folder for that copy, when nothing else is in it
