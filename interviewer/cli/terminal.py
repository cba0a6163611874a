"""`interviewer practice`: the interview in a terminal, on the same Session as the web page.

An answer can run to several paragraphs: a line holding only "." sends it, and so does the end of input
(Ctrl-D). What the interviewer says is rendered with `rich`: its Markdown, wrapped at word boundaries to the
terminal's width. A report is printed at the end (the summary in study mode, where the feedback came after each
answer; the whole report in exam mode). Ctrl-C asks whether to save and quit, quit, or carry on: at once while
the candidate is typing, and once the answer is graded while it is being graded (so no half-graded answer is
left behind, and nothing is cut off in the middle of printing).

`/why` asks about the latest graded answer ("Why did I lose points?"), and `/why <question>` asks something of
one's own about it: the grade's own reasons offline, a short conversation with an LLM, whose reply streams in as
it is written (`interview/why.py`).
"""

from __future__ import annotations

import re
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Literal, TextIO

from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape

from interviewer.cli.terminal_retry import RETRY, print_comparison_of, retry_in_terminal
from interviewer.errors import InterviewerError
from interviewer.interview import report
from interviewer.interview.explanation import latest_graded_answer
from interviewer.interview.storage import SessionStore
from interviewer.interview.why import WhyConversation, conversation_for
from interviewer.models import SessionConfig, Turn

if TYPE_CHECKING:
    from interviewer.interview.session import Session
    from interviewer.services import Services

COMMANDS = {"/skip": "skip", "/hint": "hint", "/repeat": "repeat", "/idk": "dont_know", "/end": "end"}
WHY = "/why"  # alone, or followed by a question about the latest grade
SEND = "."  # a line holding only this sends the answer
HELP = (
    'Answer in as many lines and paragraphs as you like, then send it with a line holding only "." (or '
    "Ctrl-D). Commands: /skip /hint /repeat /idk /end, /why (or /why <your question>) about your latest "
    "grade, and /retry to answer the latest question again and see what changed. Ctrl-C stops, asking first "
    "whether to save."
)
STYLE = {"question": "cyan", "follow_up": "cyan", "repeat": "cyan", "end": "green"}

Stop = Literal["save", "quit", "carry_on"]


def console() -> Console:
    """A console on the current standard output (so a test's capture sees it); rich wraps at word boundaries
    to the terminal's width, and follows NO_COLOR."""
    return Console(highlight=False, emoji=False)


def read_answer(stream: TextIO) -> str | None:
    """An answer of any number of lines and paragraphs, up to a line holding only "." or the end of input; a
    command when the first line is one. None at the end of input with nothing typed."""
    lines: list[str] = []
    while True:
        line = stream.readline()
        if not line:
            return "\n".join(lines).strip("\n") if lines else None
        line = line.rstrip("\r\n")
        if line.strip() == SEND:
            if lines:
                return "\n".join(lines).strip("\n")
            continue  # nothing typed yet
        if not lines:
            if not line.strip():
                continue  # blank lines before an answer
            if line.strip().lower() in (*COMMANDS, RETRY):
                return line.strip().lower()
            if is_why(line):
                return line.strip()
        lines.append(line)


def is_why(text: str) -> bool:
    """Whether `text` is the /why command, alone or with a question after it."""
    word = text.strip().split(maxsplit=1)
    return bool(word) and word[0].lower() == WHY


def show(turns: list[Turn]) -> None:
    out = console()
    for turn in turns:
        out.print()
        colour = STYLE.get(turn.kind)
        out.print("Interviewer:", style=f"bold {colour}" if colour else "bold")
        out.print(Markdown(turn.text), style=colour)


class CtrlC:
    """Ctrl-C in the terminal: it interrupts reading at once (`reading`), and otherwise (grading, printing) is
    noted and handled once that is done (`pending`), so an answer is never left half graded nor a line half
    printed. Installed only in the main thread, where signal handlers live."""

    def __init__(self) -> None:
        self.pending = False
        self._reading = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self._reading:
            raise KeyboardInterrupt
        self.pending = True

    @contextmanager
    def installed(self) -> Iterator[CtrlC]:
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous: Any = signal.signal(signal.SIGINT, self)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, previous)

    @contextmanager
    def reading(self) -> Iterator[None]:
        """While the candidate types: Ctrl-C raises KeyboardInterrupt (a pending one at once)."""
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt
        self._reading = True
        try:
            yield
        finally:
            self._reading = False


def ask_to_stop(stream: TextIO, save: Path, ctrl_c: CtrlC | None = None) -> Stop:
    """After Ctrl-C: save and quit, quit without saving, or carry on. Another Ctrl-C, or the end of input,
    quits without saving."""
    out = console()
    out.print(
        f"\nStop the interview? [bold]s[/] save the report to {escape(str(save))} and quit, [bold]q[/] quit "
        "without saving, [bold]c[/] carry on (the default): ",
        end="",
    )
    try:
        with ctrl_c.reading() if ctrl_c else _nothing():
            reply = stream.readline()
    except KeyboardInterrupt:
        return "quit"
    if not reply:
        return "quit"
    choice = reply.strip().lower()[:1]
    return "save" if choice == "s" else "quit" if choice == "q" else "carry_on"


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def ask_why(
    services: Services, session: Session, current: WhyConversation | None, question: str
) -> WhyConversation | None:
    """Ask about the latest graded answer and print the reply as it streams; the conversation it belongs to
    (`current` while the latest answer is the same)."""
    out = console()
    try:
        latest = latest_graded_answer(session.transcript, services.bank)
        conversation = conversation_for(latest, current, services.explainer)
        printer = StreamedText(out)
        out.print()
        out.print("Interviewer:", style="bold")
        reply = conversation.ask(question, on_text=printer.update)
    except InterviewerError as exc:
        out.print(str(exc), style="yellow")
        return current
    printer.finish(reply)
    return conversation


class StreamedText:
    """A reply printed as it streams in, wrapped at word boundaries to the terminal's width: each word is
    printed once it is complete. A reply that came all at once (the offline explanation) is rendered as
    Markdown instead."""

    def __init__(self, out: Console):
        self.out = out
        self.updates: list[str] = []
        self.printed = ""  # the part of the reply written out
        self.column = 0

    def update(self, text: str) -> None:
        self.updates.append(text)
        if len(self.updates) < 2:
            return  # wait: a reply that comes in one piece is printed as Markdown by `finish`
        cut = max(text.rfind(" "), text.rfind("\n")) + 1  # the last word may be cut short: hold it back
        self._write(text[:cut])

    def finish(self, reply: str) -> None:
        if len(self.updates) < 2:
            self.out.print(Markdown(reply))
            return
        self._write(reply)
        self.out.file.write("\n")
        self.out.file.flush()

    def _write(self, text: str) -> None:
        if text.startswith(self.printed):
            new = text[len(self.printed) :]
        elif text.startswith(self.printed.rstrip()):  # the end of the reply was trimmed
            new = text[len(self.printed.rstrip()) :]
        else:  # the reply started again (a fallback): on a line of its own
            self.out.file.write("\n")
            self.column, new = 0, text
        self.printed = text
        width = max(20, self.out.width)
        pieces: list[str] = []
        for part in re.findall(r"\n|[^\S\n]+|\S+", new):
            if part == "\n":
                pieces.append("\n")
                self.column = 0
            elif part.isspace():
                continue
            else:
                if self.column and self.column + 1 + len(part) > width:
                    pieces.append("\n")
                    self.column = 0
                elif self.column:
                    pieces.append(" ")
                    self.column += 1
                pieces.append(part)
                self.column += len(part)
        self.out.file.write("".join(pieces))
        self.out.file.flush()


def run_practice(
    services: Services, config: SessionConfig, save: Path | None, stream: TextIO | None = None
) -> None:
    stream = stream or sys.stdin
    session = services.new_session(config)
    out = console()
    out.print(HELP)
    show(session.start())
    history = SessionStore(services.settings.sessions_db)  # the page's History and Progress read it too
    history.save(session.snapshot())  # after every move, as the page does; saved with no owner
    saving = save
    why: WhyConversation | None = None  # the conversation about the latest graded answer
    stopped = False  # by Ctrl-C: no questions after the end
    ctrl_c = CtrlC()
    with ctrl_c.installed():
        while not session.finished:
            if not ctrl_c.pending:  # else the question to stop comes at once
                out.print("\nYou:", style="bold")
            try:
                with ctrl_c.reading():
                    text = read_answer(stream)
            except KeyboardInterrupt:
                target = save or Path(f"interview-{session.transcript.session_id}.md")
                choice = ask_to_stop(stream, target, ctrl_c)
                if choice == "carry_on":
                    out.print("Carrying on: answer the question above.")
                    continue
                if choice == "quit":
                    out.print("Stopped; no report was written (History keeps the interview as it stood).")
                    return
                saving, stopped = target, True
                text = "/end"
            if text is None:
                show(session.command("end"))
                history.save(session.snapshot())
                break
            if is_why(text):
                why = ask_why(services, session, why, text.strip()[len(WHY) :])
                continue
            if text == RETRY:
                retry_in_terminal(services, session, stream, ctrl_c, history)
                continue
            try:
                turns = session.command(COMMANDS[text]) if text in COMMANDS else session.answer(text)  # type: ignore[arg-type]
                history.save(session.snapshot())
                show(turns)
                print_comparison_of(out, session)  # a retry (`--retry`): what changed, once graded
            except InterviewerError as exc:  # a refused answer or command: say why and go on
                out.print(str(exc), style="yellow")
            if ctrl_c.pending:
                out.print("\n(Ctrl-C: the answer above was graded first.)")
    extras = report.ReportExtras(
        references={
            q.entry_id: services.bank.entries[q.entry_id].reference_answer
            for q in session.transcript.questions
            if q.entry_id in services.bank.entries
        },
        seconds=tuple(session.seconds),
    )
    exam = config.mode == "exam"
    out.print()
    out.print(Markdown(report.to_markdown(session.transcript, extras, with_transcript=exam)))
    if saving:
        markdown = report.to_markdown(session.transcript, extras)
        saving.write_text(
            report.to_json(session.transcript, extras) if saving.suffix == ".json" else markdown,
            encoding="utf-8",
        )
        out.print(f"\nTranscript saved to {escape(str(saving))}", soft_wrap=True)
    if not stopped:
        ask_after_the_end(services, session, why, stream)


def ask_after_the_end(
    services: Services, session: Session, why: WhyConversation | None, stream: TextIO
) -> None:
    """The last answer ends the interview: /why may still ask about it, until a line that is not /why (or the
    end of input, or Ctrl-C)."""
    if latest_graded_answer(session.transcript, services.bank) is None:
        return
    out = console()
    out.print(
        "\nAsk about your last answer with /why (or /why <your question>), answer it again with /retry, or press "
        "Enter to finish."
    )
    try:
        while True:
            out.print("\nYou:", style="bold")
            line = stream.readline()
            if line.strip().lower() == RETRY:
                retry_in_terminal(
                    services, session, stream, CtrlC(), SessionStore(services.settings.sessions_db)
                )
                continue
            if not is_why(line):
                return
            why = ask_why(services, session, why, line.strip()[len(WHY) :])
    except KeyboardInterrupt:
        return
