"""What the page shows for a session: the chat, the score card, the report, the downloads and the clock.

Pure functions of the session's transcript (plus the bank for reference answers), so a refreshed page,
a restarted server and a live session all show the same thing.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from interviewer.content.loader import Bank
from interviewer.interview import report
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


def latest_card(transcript: Transcript, bank: Bank) -> str:
    """The score card of the most recent graded answer (study mode), or a note saying why there is none."""
    if transcript.config.mode == "exam":
        return "<p><i>Exam mode: your scores and feedback come in the report at the end.</i></p>"
    for number, q in reversed(list(enumerate(transcript.questions, start=1))):
        for turn in reversed(q.turns):
            if turn.role == "candidate" and turn.grade is not None:
                heading = f"Question {number}" + (
                    f", follow-up on: {turn.key_point}" if turn.key_point else ""
                )
                entry = bank.entries.get(q.entry_id)  # None when removed since the session was saved
                reference = entry.reference_answer if entry else None
                return score_card(turn.grade, turn.text, reference, heading=heading)
    return "<p><i>Your score card appears here after each answer.</i></p>"


def export_files(transcript: Transcript) -> tuple[Path, Path, Path]:
    """The report as Markdown, JSON and self-contained HTML files, for the download buttons.

    Every view of a finished interview asks for them, so they are written only when the transcript differs
    from the one they were written from: a stamp beside them holds that transcript's hash."""
    folder = EXPORT_DIR / transcript.session_id
    stem = f"interview-{transcript.session_id}"
    files = (folder / f"{stem}.md", folder / f"{stem}.json", folder / f"{stem}.html")
    stamp = folder / EXPORT_STAMP
    digest = hashlib.sha256(transcript.model_dump_json().encode("utf-8")).hexdigest()
    if all(f.exists() for f in files) and stamp.exists() and stamp.read_text(encoding="utf-8") == digest:
        return files
    folder.mkdir(parents=True, exist_ok=True)
    files[0].write_text(report.to_markdown(transcript), encoding="utf-8")
    files[1].write_text(report.to_json(transcript), encoding="utf-8")
    files[2].write_text(report.to_html(transcript), encoding="utf-8")
    stamp.write_text(digest, encoding="utf-8")  # last: files cut short by a crash are written again
    return files


def clock_html(deadline: float | None) -> str:
    """The exam clock; the page's script counts it down and sends the answer when it reaches zero."""
    if deadline is None:
        return '<div id="iv-clock-box"></div>'
    return (
        f'<div id="iv-clock-box"><span class="iv-clock" data-deadline="{int(deadline * 1000)}">'
        "Time left: …</span></div>"
    )


def history_rows(summaries: list[SessionSummary]) -> list[list[object]]:
    return [
        [s.id, s.started_at, s.mode, s.topics, s.questions, s.overall_score, "yes" if s.finished else "no"]
        for s in summaries
    ]


def resume_link(session_id: str) -> str:
    return f'<a href="?session={esc(session_id)}">Resume this interview</a>'
