"""Reading question-and-answer documents: the shapes interview guides come in, turned into found questions.

`bank import` drafts bank entries from what this finds and `bank coverage` checks each found question against
the bank, so both agree on what counts as a question and on its `ref` (where it sits in the document). The
shapes, all of which may mix in one file:

- numbered questions, `Q1: ...` or `Q1. ...`, answered by an `Answer:` line or by the paragraphs that follow;
  when numbering restarts under new section headings, refs carry the heading (`<heading> Q1`), else `Q1`;
- bullet lists of questions (`•`, `-`, `*` or `1.`), answered by indented lines under the bullet:
  `<heading> bullet <n>`, counting every top-level bullet of the section;
- a question on a line of its own followed by its answer paragraphs, and labelled lines such as
  `Sample question: ...`: `<heading> question <n>`.

A malformed file raises `DocumentFormatError` naming the line and what to change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from interviewer.content.line_shapes import (
    ANSWER,
    BRACKETED_ANSWER,
    BULLET,
    EXAMPLE_ANSWER,
    LABELLED,
    NUMBERED,
    QUESTION_WORDS,
    READING,
    RELATED,
    TASK_WORDS,
    TIP,
    UNNUMBERED,
    URL,
    clean_question,
    first_word,
    heading_like,
    is_question,
    join_lines,
    markdown_heading,
    noise,
    prose,
    unmarked,
)
from interviewer.errors import DocumentFormatError


@dataclass
class FoundQuestion:
    """One question found in a document, with whatever the document says about it."""

    text: str
    ref: str
    line: int
    section: str | None = None
    answer_lines: list[str] = field(default_factory=list)
    example_answer: str = ""
    tips: list[str] = field(default_factory=list)
    further_reading: list[str] = field(default_factory=list)
    number: int | None = None
    kind: str = "block"  # numbered | bullet | block | labelled
    marked: bool = False  # an 'Answer:' line gave its answer
    numbered_item: bool = False  # a "1. ...?" list item rather than a bullet
    expects_marker: bool = False  # an 'Answer:' line follows it
    closed: bool = False  # later text no longer belongs to it

    @property
    def answer(self) -> str:
        return join_lines(self.answer_lines)


@dataclass(frozen=True)
class Document:
    path: Path
    questions: list[FoundQuestion]

    @property
    def stem(self) -> str:
        return self.path.stem


def read_text(path: Path) -> str:
    """The file's text, or an error saying why it is not a readable text document."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentFormatError(path, None, f"cannot be read ({exc.strerror}); check the path") from None
    if not data.strip():
        raise DocumentFormatError(path, None, "is empty; give a text file with questions such as 'Q1: ...'")
    if b"\x00" in data[:8192]:
        raise DocumentFormatError(
            path, None, "is a binary file, not text; export it as plain UTF-8 text (.txt or .md) first"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DocumentFormatError(
            path,
            line,
            f"is not UTF-8 (byte 0x{data[exc.start]:02x} cannot be decoded); "
            "save the file as UTF-8 and try again",
        ) from None


def parse_file(path: Path) -> Document:
    return Document(path, parse_text(read_text(path), path))


def parse_text(text: str, path: Path | None = None) -> list[FoundQuestion]:
    """Every question in `text`, in document order. Raises `DocumentFormatError` on a malformed file."""
    parser = _Parser(text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " "), path)
    questions = parser.run()
    if not questions:
        raise DocumentFormatError(
            path,
            None,
            "has no questions in a known format; number them ('Q1: ...' with 'Answer: ...'), list them as "
            "bullets ending in '?', or put each question on its own line followed by its answer",
        )
    return questions


class _Parser:
    def __init__(self, text: str, path: Path | None):
        self.path = path
        self.lines = [unmarked(line) for line in text.split("\n")]
        self.marks = [i for i, line in enumerate(self.lines) if NUMBERED.match(line.strip())]
        self.first_mark = self.marks[0] if self.marks else None
        marks = self.marks
        self.paragraphs = self._paragraphs()
        self.cuts = self._section_cuts() if marks else {}
        self.questions: list[FoundQuestion] = []
        self.current: FoundQuestion | None = None
        self.section: str | None = None
        self.bullets: dict[str | None, int] = {}
        self.list_base: int | None = None

    # --- structure -------------------------------------------------------------------------------------

    def _paragraphs(self) -> list[list[int]]:
        paragraphs: list[list[int]] = []
        block: list[int] = []
        for index, line in enumerate(self.lines):
            if line.strip():
                block.append(index)
            elif block:
                paragraphs.append(block)
                block = []
        if block:
            paragraphs.append(block)
        return paragraphs

    def _heading_of(self, paragraph: list[int]) -> tuple[str, int] | None:
        """The heading a paragraph starts with, and how many of its lines it takes."""
        first = self.lines[paragraph[0]]
        if first != first.lstrip() or not heading_like(first):
            return None
        if markdown := markdown_heading(first):
            return markdown, 1
        if len(paragraph) == 1:
            return first.strip(), 1
        second = self.lines[paragraph[1]].strip()
        if len(paragraph) == 2 and second[-1] not in ".,;:!?" and len(second.split()) <= 8:
            return f"{first.strip()} {second}", 2
        if prose(second):
            return first.strip(), 1
        return None

    def _section_cuts(self) -> dict[int, str]:
        """Headings that start a run of numbered questions: the last one before the first question, and the
        first one after a run whose numbering then restarts (or ends). Other heading-like lines between
        numbered questions, such as a figure caption inside an answer, stay part of the answer."""
        headings = [(p[0], h[0]) for p in self.paragraphs if (h := self._heading_of(p))]
        marks = [
            (i, int(m.group(1))) for i, line in enumerate(self.lines) if (m := NUMBERED.match(line.strip()))
        ]
        cuts: dict[int, str] = {}
        before_first = [(i, h) for i, h in headings if i < marks[0][0]]
        if before_first:
            cuts.update([before_first[-1]])
        for (index, number), (next_index, next_number) in zip(
            marks, [*marks[1:], (len(self.lines), 0)], strict=True
        ):
            if next_number <= number:
                after = [(i, h) for i, h in headings if index < i < next_index]
                if after:
                    cuts.update([after[0]])
        return cuts

    # --- the walk --------------------------------------------------------------------------------------

    def run(self) -> list[FoundQuestion]:
        for paragraph in self.paragraphs:
            skip = 0
            heading = self._heading_of(paragraph)
            if heading and self._is_section(paragraph[0]):
                self.section = heading[0]
                self._close()
                self.list_base = None
                skip = heading[1]
            for index in paragraph[skip:]:
                self._line(index)
        self._number_refs()
        return self.questions

    def _is_section(self, index: int) -> bool:
        return self.first_mark is None or index < self.first_mark or index in self.cuts

    def _close(self) -> None:
        if self.current is not None:
            self.current.closed = True
        self.current = None

    def _error(self, index: int, message: str) -> DocumentFormatError:
        return DocumentFormatError(self.path, index + 1, message)

    def _add(self, text: str, index: int, kind: str, number: int | None = None) -> FoundQuestion:
        self._close()
        question = FoundQuestion(
            text=clean_question(text), ref="", line=index + 1, section=self.section, kind=kind, number=number
        )
        self.questions.append(question)
        self.current = question
        return question

    def _line(self, index: int) -> None:
        """Give one line to whatever it starts or continues: a question, a marked part of one, or an answer."""
        raw = self.lines[index]
        text = raw.strip()
        if self._question_line(index, text) or self._marked_line(index, text):
            return
        if bullet := BULLET.match(raw):
            self._bullet(index, len(bullet.group(1)), bullet.group(3), bullet.group(2)[-1:] in ".)")
            return
        if self.current is not None and self.current.kind == "numbered":
            self._numbered_text(text)
            return
        if raw == text:  # not indented: ends a list
            self.list_base = None
            if self._block_question(text):
                self._add(text, index, "block")
                return
            if self.current is not None and self.current.kind == "bullet" and not self.current.numbered_item:
                self._close()  # prose after a bulleted list is not the last bullet's answer
        self._answer_text(text)

    def _question_line(self, index: int, text: str) -> bool:
        """A line that states a question: `Q1: ...`, `Q: ...` or a label such as `Sample question: ...`."""
        if numbered := NUMBERED.match(text):
            self._numbered_question(index, text, int(numbered.group(1)), numbered.group(2).strip())
            return True
        if unnumbered := UNNUMBERED.match(text):
            if not unnumbered.group(1).strip():
                raise self._error(
                    index, "'Q:' has no question text; write the question after it on the same line"
                )
            self._add(unnumbered.group(1), index, "block")
            return True
        if (labelled := LABELLED.match(text)) and not self._in_numbered():
            body = labelled.group(2)
            if labelled.group(1).lower() != "for example" or body.rstrip().endswith("?"):
                self._add(body, index, "labelled").closed = True
                return True
        return False

    def _numbered_question(self, index: int, text: str, number: int, body: str) -> None:
        if not body:
            marker = text.rstrip(":.) ")
            raise self._error(
                index,
                f"'{text}' has no question text; write the question on the same line after "
                f"'{marker}:', or delete the line",
            )
        question = self._add(body, index, "numbered", number)
        # When an 'Answer:' line follows, text between the question and it is not part of either.
        end = next((m for m in self.marks if m > index), len(self.lines))
        question.expects_marker = any(ANSWER.match(line.strip()) for line in self.lines[index + 1 : end])

    def _marked_line(self, index: int, text: str) -> bool:
        """A line whose label says what it is: an answer, an example answer, a tip, reading, related links."""
        if example := EXAMPLE_ANSWER.match(text):
            self._need_question(index, "Example answer").example_answer = example.group(1).strip()
        elif answer := ANSWER.match(text):
            self._answer_marker(index, answer.group(1))
        elif tip := TIP.match(text):
            if self.current is not None:
                self.current.tips.append(tip.group(1).strip())
        elif reading := READING.match(text):
            if self.current is not None:
                title = URL.sub("", reading.group(1)).strip()
                if title:
                    self.current.further_reading.append(title)
                self.current.closed = True  # what follows a reading list is page furniture, not answer
        elif not RELATED.match(text):
            return False
        return True

    def _answer_marker(self, index: int, first_line: str) -> None:
        question = self._need_question(index, "Answer")
        if question.marked:
            raise self._error(
                index,
                f"this 'Answer:' follows the answer to the question on line {question.line}; "
                "put the question it answers above it (e.g. 'Q2: ...'), or merge the two answers",
            )
        if question.kind == "numbered" and question.answer_lines:  # lines held until the answer began
            question.text = clean_question(" ".join([question.text, *question.answer_lines]))
            question.answer_lines.clear()
        question.marked, question.closed = True, False
        question.answer_lines.append(first_line)

    def _in_numbered(self) -> bool:
        return self.current is not None and self.current.kind == "numbered" and not self.current.closed

    def _need_question(self, index: int, marker: str) -> FoundQuestion:
        if self.current is None:
            raise self._error(
                index,
                f"'{marker}:' with no question before it; put the question on the line above "
                "(e.g. 'Q1: What is overfitting?') or remove the stray answer",
            )
        return self.current

    def _block_question(self, text: str) -> bool:
        """A line that asks a question on its own; only in documents without numbered questions."""
        plain = text.strip("\"“”'‘’ ")
        return (
            self.first_mark is None
            and plain.endswith("?")
            and first_word(plain) in QUESTION_WORDS
            and len(plain.split()) >= 4
        )

    def _bullet(self, index: int, indent: int, text: str, numbered_item: bool = False) -> None:
        if self.current is not None and self._in_numbered():
            self.current.answer_lines.append(text)
            return
        if self.list_base is None or indent <= self.list_base:
            self.list_base = indent
            number = self.bullets[self.section] = self.bullets.get(self.section, 0) + 1
            if is_question(text):
                question_text, answer = text, ""
                if bracketed := BRACKETED_ANSWER.match(text.strip()):
                    question_text, answer = bracketed.group(1), bracketed.group(2)
                question = self._add(question_text.rstrip(";,"), index, "bullet", number)
                question.numbered_item = (
                    numbered_item  # "1. What is ...?" may be answered by the next paragraphs
                )
                if answer:
                    question.answer_lines.append(answer)
                return
            if self.current is not None and self.current.kind == "bullet":
                self._close()
        self._answer_text(text)

    def _numbered_text(self, text: str) -> None:
        question = self.current
        assert question is not None
        if question.closed:
            return
        if not question.marked:
            # A question stated as a setting goes on until the sentence that asks it (two paragraphs at most).
            asks = text.endswith("?") or first_word(text) in TASK_WORDS
            if not question.text.endswith("?") and asks and len(question.answer_lines) < 2:
                question.text = clean_question(" ".join([question.text, *question.answer_lines, text]))
                question.answer_lines.clear()
                return
            if question.expects_marker:
                if not question.text.endswith("?"):
                    question.answer_lines.append(text)  # held until the question is asked; else dropped
                return
        question.answer_lines.append(text)

    def _answer_text(self, text: str) -> None:
        if self.current is None or self.current.closed or self.current.kind == "labelled" or noise(text):
            return
        self.current.answer_lines.append(text)

    def _number_refs(self) -> None:
        numbers = [q.number for q in self.questions if q.kind == "numbered"]
        restart = len(numbers) != len(set(numbers))
        counts: dict[str | None, int] = {}
        for q in self.questions:
            prefix = f"{q.section} " if q.section else ""
            if q.kind == "numbered":
                q.ref = f"{prefix}Q{q.number}" if restart else f"Q{q.number}"
            elif q.kind == "bullet":
                q.ref = f"{prefix}bullet {q.number}"
            else:
                counts[q.section] = counts.get(q.section, 0) + 1
                q.ref = f"{prefix}question {counts[q.section]}"
