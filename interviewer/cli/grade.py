"""`interviewer grade`: one answer, graded against a bank entry, the nearest entry, or a reference you give."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from interviewer.cli import shared
from interviewer.errors import InterviewerError, NoCloseReferenceError
from interviewer.interview.doubts import listed_flags, unsure_note
from interviewer.interview.limits import has_stray_code_units
from interviewer.models import Grade


def grade(
    question_id: Annotated[str | None, typer.Option(help="Grade against this bank entry.")] = None,
    question: Annotated[
        str | None, typer.Option(help="A question in your words; the nearest entry is used.")
    ] = None,
    reference: Annotated[
        str | None, typer.Option(help="With --question: grade ad hoc against this answer.")
    ] = None,
    answer: Annotated[str | None, typer.Option(help="The answer to grade.")] = None,
    answer_file: Annotated[
        str | None, typer.Option(help="Read the answer from a file, or - for stdin.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the grade as JSON.")] = False,
) -> None:
    """Grade one answer against a bank entry, the nearest bank entry, or a reference you give."""
    if (question_id is None) == (question is None):
        raise shared.fail("Give exactly one of --question-id ID or --question TEXT.")
    if reference is not None and question is None:
        raise shared.fail("--reference goes with --question TEXT, not with --question-id.")
    text = read_answer(answer, answer_file)
    services = shared.services()
    try:
        if question_id is not None:
            ref, rubric = services.reference_for_id(question_id)
        elif reference is not None:
            assert question is not None
            ref, rubric = services.ad_hoc_reference(question, reference)
        else:
            assert question is not None
            ref, rubric = services.reference_for_question(question)
        services.answer_limits.check(text)
        result = services.grader.grade(ref, text, rubric)
    except NoCloseReferenceError as exc:
        typer.secho(str(exc), fg=typer.colors.YELLOW, err=True)  # a finding, not a fault: nothing graded
        raise typer.Exit(1) from None
    except InterviewerError as exc:
        raise shared.fail(str(exc)) from None
    if as_json:
        shared.print_json(result.model_dump(mode="json"))
    else:
        print_grade(result, ref.question if question is not None else None)


def read_answer(answer: str | None, answer_file: str | None) -> str:
    """The answer from --answer, or from --answer-file (a path, or - for stdin)."""
    if (answer is None) == (answer_file is None):
        raise shared.fail(
            "Give the answer with exactly one of --answer TEXT or --answer-file FILE (use - for stdin)."
        )
    if answer is not None:
        if has_stray_code_units(answer):
            raise shared.fail(
                "The --answer text is not valid UTF-8. Fix its encoding, or pass it with --answer-file."
            )
        return answer
    assert answer_file is not None
    if answer_file == "-":
        try:
            return sys.stdin.buffer.read().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise shared.fail(f"Cannot read the answer from stdin: {exc}. Send UTF-8 text.") from None
    try:
        return Path(answer_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise shared.fail(
            f"Cannot read the answer file {answer_file}: {exc}. Check the path and that it is UTF-8 text."
        ) from None


def print_grade(grade: Grade, matched_question: str | None = None) -> None:
    """The grade as text; `matched_question` is the bank question a free-text --question was matched to."""
    if grade.reference_id:
        similarity = (
            f" (similarity {grade.reference_similarity:.2f})"
            if grade.reference_similarity is not None
            else ""
        )
        typer.echo(f"Graded against bank entry {grade.reference_id}{similarity}.")
        if matched_question:
            typer.echo(f"  It asks: “{matched_question}”")
    typer.secho(f"Score: {grade.score}/10  [{grade.grader} grader]", bold=True)
    if grade.fallback_reason:
        typer.secho(
            f"The LLM grader was unavailable ({grade.fallback_reason}); graded offline.",
            fg=typer.colors.YELLOW,
        )
    if unsure := unsure_note(grade):
        typer.secho(unsure, fg=typer.colors.YELLOW)
    if flags := listed_flags(grade):
        typer.echo(f"Flags: {', '.join(flags)}")
    for c in grade.criteria:
        typer.echo(f"  {c.name:<28} level {c.level}/3  {c.score:>4}/10  {c.rationale}")
    typer.echo("Key points:")
    for k in grade.key_points:
        evidence = f'\n      evidence: "{k.evidence}"' if k.evidence else ""
        doubt = f"\n      unsure: {k.doubt}" if k.doubt else ""
        typer.echo(f"  [{k.status:^7}] {k.text}{evidence}{doubt}")
    for m in grade.misconceptions:
        typer.echo(f'Wrong claim: "{m.evidence}"\n  {m.correction}')
    typer.echo(f"\n{grade.feedback.summary}")
