"""`interviewer practice` (a text interview in the terminal) and `interviewer ask` (find questions by topic).

Both choose questions the same way as the page: by the topic, type and difficulty filters, and, given free
text, by `Services.find_questions`, which ranks bank questions by how close they are to the text.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from interviewer.cli import shared
from interviewer.errors import InterviewerError
from interviewer.interview.limits import has_stray_code_units
from interviewer.models import QuestionType, SessionConfig

if TYPE_CHECKING:
    from interviewer.services import Services

Topics = Annotated[list[str] | None, typer.Option("--topic", help="Only these topics (repeatable).")]
Types = Annotated[list[QuestionType] | None, typer.Option("--type", help="Only these question types.")]
Difficulties = Annotated[list[int] | None, typer.Option("--difficulty", help="Only these difficulties, 1-3.")]


def practice(
    topic: Topics = None,
    type_: Types = None,
    difficulty: Difficulties = None,
    about: Annotated[
        str | None,
        typer.Option(
            help="Free text, e.g. 'bias-variance in trees': the nearest questions within the filters."
        ),
    ] = None,
    questions: Annotated[int, typer.Option(help="How many questions.")] = 3,
    follow_ups: Annotated[int, typer.Option(min=0, max=3, help="Follow-ups per question, 0-3.")] = 1,
    mode: Annotated[
        str, typer.Option(help="study (feedback after each answer) or exam (at the end).")
    ] = "study",
    seed: Annotated[int | None, typer.Option(help="Seed the question choice.")] = None,
    save: Annotated[
        Path | None, typer.Option(help="Write the report and transcript here (.md or .json).")
    ] = None,
    due: Annotated[
        bool,
        typer.Option(
            "--due", help="Ask what is due for practice (see `interviewer progress`), then your weakest."
        ),
    ] = False,
    retry: Annotated[
        str | None,
        typer.Option(
            "--retry",
            metavar="QUESTION-ID",
            help="Answer this bank question again and see what changed against your last attempt.",
        ),
    ] = None,
) -> None:
    """A text interview in the terminal. Type your answer, in as many paragraphs as you like, and send it with
    a line holding only "." (or Ctrl-D).

    Commands: /skip, /hint, /repeat, /idk (I don't know), /end, /why (or /why <question>) about your latest
    grade, and /retry to answer the latest question again and see what changed. A report is printed at the end;
    Ctrl-C asks whether to save it and quit.
    """
    from interviewer.cli.terminal import run_practice
    from interviewer.cli.terminal_retry import retry_from_history

    if mode not in ("study", "exam"):
        raise shared.fail("--mode must be study or exam.")
    if due and about is not None:
        raise shared.fail("--due asks what is due for practice; leave out --about, or --due.")
    if retry is not None and (due or about is not None or mode == "exam"):
        raise shared.fail(
            "--retry asks one question again, in study mode; leave out --about, --due and --mode exam."
        )
    if about is not None and not about.strip():
        raise shared.fail("--about needs some words, e.g. --about 'bias-variance in trees'; or leave it out.")
    config = SessionConfig(
        topics=topic or [],
        types=type_ or [],
        difficulties=difficulty or [],
        num_questions=questions,
        max_follow_ups=follow_ups,
        mode=mode,
        seed=seed,
    )
    try:
        services = shared.services()
        typer.echo("Loading the model and the index...")
        if about is not None:
            config = questions_about(services, about, config)
        if due:
            config = questions_due(services, config)
        if retry is not None:
            config, told = retry_from_history(services, retry)
            typer.echo(told)
        run_practice(services, config, save)
    except InterviewerError as exc:
        raise shared.fail(str(exc)) from None


def questions_about(services: Services, text: str, config: SessionConfig) -> SessionConfig:
    """The config with its questions chosen as the nearest to `text` within its filters, nearest first."""
    matches = services.find_questions(
        text,
        topics=config.topics,
        types=config.types,
        difficulties=config.difficulties,
        limit=config.num_questions,
    )
    if not matches:
        filtered = config.topics or config.types or config.difficulties
        typer.secho(
            nothing_close(text, filtered) + " Or leave out --about.", fg=typer.colors.YELLOW, err=True
        )
        raise typer.Exit(1)
    noun = "question" if len(matches) == 1 else "questions"
    typer.echo(f"Found {len(matches)} {noun} about “{text.strip()}”:")
    for match in matches:
        typer.echo(f"  - {match.entry.question}")
    return config.model_copy(update={"question_ids": [m.entry.id for m in matches]})


def questions_due(services: Services, config: SessionConfig) -> SessionConfig:
    """The config with its questions chosen from what is due in the terminal's sessions (then the weakest), or
    an exit saying what to do when nothing is."""
    from datetime import UTC, datetime

    from interviewer.interview.progress import progress, stored_sessions
    from interviewer.interview.schedule import due_session, schedules
    from interviewer.interview.storage import SessionStore

    store = SessionStore(services.settings.sessions_db)
    try:
        report = progress(stored_sessions(store, owner=None, unowned=True), services.bank.entries)
    finally:
        store.close()
    chosen, told = due_session(
        config, schedules(report.attempts), services.bank.entries, datetime.now(UTC), report.untried_total
    )
    if chosen is None:
        typer.secho(told, fg=typer.colors.YELLOW, err=True)
        raise typer.Exit(1)
    typer.echo(told)
    return chosen


def ask(
    text: Annotated[str, typer.Argument(help="What you would like to be asked about, in your words.")],
    topic: Topics = None,
    type_: Types = None,
    difficulty: Difficulties = None,
    limit: Annotated[int, typer.Option(min=1, max=50, help="At most this many questions.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The bank questions nearest to free text, by question or reference answer, with their similarity."""
    if not text.strip():
        raise shared.fail('Say what to look for, e.g. interviewer ask "bias-variance in trees".')
    if has_stray_code_units(text):
        raise shared.fail("The text to look for is not valid UTF-8. Fix its encoding and try again.")
    try:
        matches = shared.services().find_questions(
            text, topics=topic or [], types=type_ or [], difficulties=difficulty or [], limit=limit
        )
    except InterviewerError as exc:
        raise shared.fail(str(exc)) from None
    rows = [
        {
            "id": m.entry.id,
            "question": m.entry.question,
            "type": m.entry.type.value,
            "topic": m.entry.topic,
            "difficulty": m.entry.difficulty,
            "similarity": m.similarity,
        }
        for m in matches
    ]
    if as_json:
        shared.print_json(rows)
    else:
        for row in rows:
            typer.echo(
                f"{row['id']:<48} {row['type']:<14} {row['topic']:<26} {row['similarity']:.2f}  {row['question']}"
            )
    if not rows:
        typer.secho(nothing_close(text, topic or type_ or difficulty), fg=typer.colors.YELLOW, err=True)
        raise typer.Exit(1)


def nothing_close(text: str, filtered: object) -> str:
    """What to say when no bank question is about `text`, and what to try next."""
    from interviewer.services import SEARCH_MIN_SIMILARITY

    where = " with these --topic, --type or --difficulty filters" if filtered else ""
    widen = "Try other words, or widen the filters." if filtered else "Try other words."
    return (
        f"Nothing in the bank is close to “{text.strip()}”{where} "
        f"(it takes a similarity of {SEARCH_MIN_SIMILARITY:.2f}). {widen}"
    )
