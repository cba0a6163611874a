"""`interviewer bank import`: the document parser on each supported shape, the drafts it writes, and the errors a
malformed file gets, through the parser and through the real console script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from interviewer.content.bank_import import draft_entries, guess_type, to_yaml
from interviewer.content.documents import parse_file, parse_text
from interviewer.errors import DocumentFormatError
from interviewer.models import BankEntry, QuestionType

from .conftest import ROOT
from .openai_server import OpenAIServer, Reply, closed_port_url

FIXTURES = Path(__file__).parent / "fixtures" / "import"
SCRIPT = str(Path(sys.executable).parent / "interviewer")


def run(*args: str, **extra_env: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEWER_", "OPENAI_"))}
    env.update({"HF_HUB_OFFLINE": "1", "NO_COLOR": "1", **extra_env})
    return subprocess.run([SCRIPT, *args], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)


def found(name: str) -> list[tuple[str, str]]:
    return [(q.ref, q.text) for q in parse_file(FIXTURES / name).questions]


# --- the parser, one shape at a time ------------------------------------------------------------------------


def test_numbered_questions_with_answer_lines() -> None:
    questions = parse_file(FIXTURES / "numbered.txt").questions
    assert [(q.ref, q.line) for q in questions] == [("Q1", 3), ("Q2", 10), ("Q3", 14)]
    first, second, third = questions
    assert first.text == "What does a p-value tell you?"
    # The answer runs over paragraphs until the reading list.
    assert first.answer.startswith("A p-value is the probability")
    assert "A small p-value says the data would be surprising" in first.answer
    assert first.further_reading == ["Statistical Inference (Casella and Berger)"]
    # A stray line between a question and its 'Answer:' belongs to neither.
    assert "page furniture" not in second.text + second.answer
    assert second.answer.startswith("Distances are dominated")
    assert third.answer == "" and third.further_reading == ["The Python Tutorial, section on data structures"]


def test_numbering_restarting_under_headings_puts_the_heading_in_the_ref() -> None:
    assert found("sections.txt") == [
        ("Theory Questions Q1", "What is early stopping?"),
        (
            "Theory Questions Q2",
            "You have trained a model on last year's data. Its accuracy has dropped slowly since it was "
            "deployed. What could explain the drop, and how would you confirm it?",
        ),
        ("Coding Questions Q1", "Write a function that returns the median of a list of numbers."),
        ("Coding Questions Q2", "Given a string, return the first character that does not repeat."),
    ]
    early_stopping = parse_file(FIXTURES / "sections.txt").questions[0]
    # A caption inside an answer is not a new section: the answer goes on after it.
    assert "The model from the best epoch is kept." in early_stopping.answer


def test_bullet_lists_of_questions_count_every_bullet_of_the_section() -> None:
    assert found("bullets.md") == [
        ("Statistics bullet 1", "What is the difference between standard deviation and standard error?"),
        ("Statistics bullet 3", "Explain what a confidence interval means."),
        ("Deep learning bullet 1", "Why do residual connections help very deep networks?"),
        ("Deep learning bullet 2", "What is label smoothing?"),
    ]
    questions = parse_file(FIXTURES / "bullets.md").questions
    assert questions[0].answer.startswith("The standard deviation describes the spread of the data")
    assert questions[2].answer.splitlines() == [
        "They give gradients a short path back to early layers.",
        "They let a block learn a small correction to the identity.",
    ]
    assert questions[3].answer == "Replacing hard 0/1 targets with slightly softened ones."
    assert questions[1].answer == ""  # the closing prose is not its answer


def test_question_then_answer_blocks_with_advice_and_quoted_questions() -> None:
    questions = parse_file(FIXTURES / "blocks.txt").questions
    assert [(q.ref, q.text) for q in questions] == [
        ("Machine learning interview questions with answers question 1", "What is a learning rate schedule?"),
        (
            "Machine learning interview questions with answers question 2",
            "How would you explain gradient boosting to a product manager?",
        ),
        ("Questions for the panel question 1", "How does the team decide when a model is ready to ship?"),
    ]
    schedule = questions[0]
    assert schedule.answer.startswith("A learning rate schedule changes the step size")
    assert schedule.tips == [
        "Name one or two schedules, such as step decay and cosine decay, and say why decaying helps."
    ]
    assert schedule.example_answer.startswith("I used cosine decay")
    assert "icon" not in schedule.answer + schedule.example_answer


def test_markdown_markers_and_numbered_lists_answered_by_paragraphs() -> None:
    questions = parse_file(FIXTURES / "markdown.md").questions
    assert [(q.ref, q.text) for q in questions] == [
        ("Q1", "What is statistical power?"),
        ("Q2", "What is a type II error?"),
        ("Modelling bullet 1", "What is target leakage?"),
        ("Modelling bullet 2", "Why calibrate a classifier?"),
    ]
    power, type_2, leakage, calibrate = questions
    assert power.answer.startswith("The probability that a test rejects the null hypothesis")
    assert type_2.answer == "Failing to reject the null hypothesis when it is false, a missed detection."
    assert leakage.answer.startswith("Target leakage is information in the features")
    assert calibrate.answer.startswith("So that a predicted probability of 0.8")


def test_labelled_sample_questions_are_found() -> None:
    text = "Types of questions\n\nSample question: How would you rank search results?\n\nFor example: ignore this.\n"
    assert [(q.ref, q.text) for q in parse_text(text)] == [
        ("Types of questions question 1", "How would you rank search results?"),
    ]


def test_other_common_markers() -> None:
    text = (
        "Question 1: What is a hash map?\nAnswer: A table from keys to values.\n\n"
        "Q2) Why use a heap?\nA: To get the smallest item in O(1).\n\n"
        "Q: What is a trie?\nA: A prefix tree.\n"
    )
    questions = parse_text(text)
    assert [(q.ref, q.text, q.answer) for q in questions] == [
        ("Q1", "What is a hash map?", "A table from keys to values."),
        ("Q2", "Why use a heap?", "To get the smallest item in O(1)."),
        ("question 1", "What is a trie?", "A prefix tree."),
    ]


# --- malformed files ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "line", "says"),
    [
        ("empty-question.txt", 7, "'Q3:' has no question text; write the question on the same line"),
        ("orphan-answer.txt", 3, "'Answer:' with no question before it; put the question on the line above"),
        (
            "two-answers.txt",
            4,
            "follows the answer to the question on line 1; put the question it answers above",
        ),
        ("latin1.txt", 4, "is not UTF-8 (byte 0xe9 cannot be decoded); save the file as UTF-8"),
        ("empty.txt", None, "is empty; give a text file with questions"),
        ("blank.txt", None, "is empty; give a text file with questions"),
        ("binary.png", None, "is a binary file, not text; export it as plain UTF-8 text"),
        ("no-questions.txt", None, "has no questions in a known format; number them"),
    ],
)
def test_malformed_files_name_the_line_and_the_fix(name: str, line: int | None, says: str) -> None:
    with pytest.raises(DocumentFormatError) as caught:
        parse_file(FIXTURES / name)
    assert caught.value.line == line
    assert says in str(caught.value)
    if line is not None:
        assert f"{name}, line {line}: " in str(caught.value)


def test_missing_file_is_a_clear_error() -> None:
    with pytest.raises(DocumentFormatError, match=r"cannot be read .* check the path"):
        parse_file(FIXTURES / "does-not-exist.txt")


# --- drafts ---------------------------------------------------------------------------------------------------


def test_drafts_validate_and_carry_what_the_document_says() -> None:
    document = parse_file(FIXTURES / "numbered.txt")
    drafts = draft_entries(document, taken={"p-value-tell"})
    entries = [BankEntry.model_validate(d.entry) for d in drafts]  # raises if a draft is not schema-valid
    p_value = entries[0]
    assert p_value.id == "p-value-tell-2"  # never reuses a bank id
    assert p_value.sources[0].document == "numbered" and p_value.sources[0].ref == "Q1"
    assert p_value.further_reading == ["Statistical Inference (Casella and Berger)"]
    texts = [k.text for k in p_value.key_points]
    assert texts[0].startswith("A p-value is the probability of seeing data at least as extreme")
    assert "It is not the probability that the null hypothesis is true." in texts
    assert [k.weight for k in p_value.key_points][:2] == [2, 1]
    assert all(k.probe and k.probe.endswith("?") for e in entries for k in e.key_points)
    assert p_value.type is QuestionType.STATISTICS and p_value.topic == "probability-and-statistics"
    no_answer = entries[2]
    assert no_answer.reference_answer.startswith("TODO") and no_answer.key_points == []
    assert "no answer in the source" in " ".join(drafts[2].notes)


def test_coding_drafts_say_what_they_still_need() -> None:
    drafts = draft_entries(parse_file(FIXTURES / "sections.txt"))
    median = drafts[2]
    assert median.entry["type"] == "coding"
    assert any("coding questions need a reference `solution`" in p for p in median.problems)
    text = to_yaml(drafts, "sections.txt")
    assert "#   ! does not validate yet: entry: Value error, coding questions need" in text
    assert yaml.safe_load(text)[2]["question"] == median.entry["question"]


def test_type_guesses() -> None:
    assert guess_type("Write a function that reverses a linked list.") is QuestionType.CODING
    assert guess_type("Tell me about a time you disagreed with a colleague.") is QuestionType.BEHAVIORAL
    assert (
        guess_type("Design a system that flags fraudulent payments in real time.")
        is QuestionType.SYSTEM_DESIGN
    )
    assert guess_type("Let's say you work at a bank that wants to predict churn.") is QuestionType.CASE_STUDY
    assert guess_type("What is the central limit theorem?") is QuestionType.STATISTICS
    assert guess_type("What is a decision tree?") is QuestionType.CONCEPT


# --- through the console script -------------------------------------------------------------------------------


def test_import_prints_drafts_that_bank_validate_accepts(tmp_path: Path) -> None:
    result = run("bank", "import", str(FIXTURES / "blocks.txt"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "# DRAFT bank entries imported by `interviewer bank import` from blocks.txt"
    )
    assert "Drafted 3 entries from" in result.stderr
    entries = yaml.safe_load(result.stdout)
    assert entries[0]["question"] == "What is a learning rate schedule?"
    assert entries[0]["tip"].startswith("Name one or two schedules")
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "drafts.yaml").write_text(result.stdout, encoding="utf-8")
    env_bank = {"INTERVIEWER_BANK_DIR": str(bank)}
    validate = subprocess.run(
        [SCRIPT, "bank", "validate"],
        env={**os.environ, **env_bank},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert validate.returncode == 0, validate.stderr
    assert "OK: 3 entries" in validate.stdout


def test_import_out_file_is_never_overwritten_by_accident(tmp_path: Path) -> None:
    out = tmp_path / "drafts.yaml"
    first = run(
        "bank", "import", str(FIXTURES / "bullets.md"), "--out", str(out), "--topic", "neural-networks"
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout == "" and f"Written to {out}" in first.stderr
    assert {e["topic"] for e in yaml.safe_load(out.read_text(encoding="utf-8"))} == {"neural-networks"}
    out.write_text("my edits", encoding="utf-8")
    again = run("bank", "import", str(FIXTURES / "bullets.md"), "--out", str(out))
    assert again.returncode == 2
    assert "already exists; choose another --out, or add --force" in again.stderr
    assert out.read_text(encoding="utf-8") == "my edits"
    forced = run("bank", "import", str(FIXTURES / "bullets.md"), "--out", str(out), "--force")
    assert forced.returncode == 0 and out.read_text(encoding="utf-8").startswith("# DRAFT")


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("empty-question.txt", "empty-question.txt, line 7: 'Q3:' has no question text"),
        ("orphan-answer.txt", "orphan-answer.txt, line 3: 'Answer:' with no question before it"),
        ("latin1.txt", "latin1.txt, line 4: is not UTF-8"),
        ("binary.png", "binary.png: is a binary file, not text"),
        ("empty.txt", "empty.txt: is empty"),
    ],
)
def test_import_of_a_malformed_file_exits_2_with_the_line(name: str, says: str) -> None:
    result = run("bank", "import", str(FIXTURES / name))
    assert result.returncode == 2
    assert result.stdout == ""
    assert says in result.stderr and result.stderr.startswith("Error: ")


def test_import_rejects_a_topic_that_is_not_a_slug() -> None:
    result = run("bank", "import", str(FIXTURES / "numbered.txt"), "--topic", "Deep Learning")
    assert result.returncode == 2 and "--topic must be a slug" in result.stderr


# --- with an LLM configured (a real HTTP server speaking the OpenAI API) --------------------------------------

P_VALUE_POINTS = [
    {"text": "A p-value assumes the null hypothesis is true.", "weight": 2, "probe": "What does it assume?"},
    {"text": "It is the chance of data at least this extreme.", "weight": 1, "probe": "Extreme how?"},
    {"text": "It is not the probability that the null is true.", "weight": 1, "probe": "What is it not?"},
]
SCALING_POINTS = [
    {
        "text": "Distances favour features with large ranges.",
        "weight": 2,
        "probe": "Which features dominate?",
    },
    {
        "text": "Scaling gives every feature a comparable range.",
        "weight": 1,
        "probe": "What does scaling do?",
    },
    {"text": "The scaler is fitted on training data only.", "weight": 0.5, "probe": "Fitted on which data?"},
]


@pytest.fixture
def llm_env(llm: OpenAIServer, tmp_path: Path) -> dict[str, str]:
    return {
        "OPENAI_BASE_URL": llm.url,
        "INTERVIEWER_LLM_MODEL": "test-model",
        "INTERVIEWER_LLM_RETRIES": "0",
        "INTERVIEWER_DATA_DIR": str(tmp_path / "data"),
    }


def test_with_an_llm_configured_the_llm_drafts_the_key_points(llm: OpenAIServer, llm_env) -> None:
    llm.reply(Reply.json({"key_points": P_VALUE_POINTS}), Reply.json({"key_points": SCALING_POINTS}))
    result = run("bank", "import", str(FIXTURES / "numbered.txt"), **llm_env)
    assert result.returncode == 0, result.stderr
    entries = yaml.safe_load(result.stdout)
    assert entries[0]["key_points"] == P_VALUE_POINTS
    assert entries[1]["key_points"] == SCALING_POINTS
    assert entries[2]["key_points"] == []  # no answer in the document: nothing to draft from
    assert len(llm.chat_requests) == 2
    prompt = llm.chat_requests[0].prompt
    assert "What does a p-value tell you?" in prompt
    assert "assuming the null hypothesis is true" in prompt
    assert "#   - key points and probes drafted by the LLM: check each claim" in result.stdout
    assert "Key points by the LLM (test-model) for 2 of 3." in result.stderr


def test_a_bad_llm_reply_is_asked_again_once_then_the_sentences_are_used(llm: OpenAIServer, llm_env) -> None:
    no_question = [{**p, "probe": "Say more."} for p in P_VALUE_POINTS]
    llm.reply(
        Reply.json({"key_points": no_question}),
        Reply.json({"key_points": no_question}),
        Reply.json({"key_points": SCALING_POINTS}),
    )
    result = run("bank", "import", str(FIXTURES / "numbered.txt"), **llm_env)
    assert result.returncode == 0, result.stderr
    assert len(llm.chat_requests) == 3
    assert "must be a question ending in '?'" in llm.chat_requests[1].prompt  # the re-ask says why
    entries = yaml.safe_load(result.stdout)
    assert entries[0]["key_points"][0]["text"].startswith("A p-value is the probability of seeing data")
    assert entries[1]["key_points"] == SCALING_POINTS
    assert "the LLM drafted no key points (" in result.stdout
    assert "Key points by the LLM (test-model) for 1 of 3." in result.stderr


def test_an_unreachable_llm_is_tried_once_and_the_import_still_succeeds(llm_env) -> None:
    result = run(
        "bank", "import", str(FIXTURES / "numbered.txt"), **{**llm_env, "OPENAI_BASE_URL": closed_port_url()}
    )
    assert result.returncode == 0, result.stderr
    entries = yaml.safe_load(result.stdout)
    assert len(entries[0]["key_points"]) >= 2 and len(entries[1]["key_points"]) >= 2
    assert (
        "for 0 of 3" in result.stderr
        and "the others were drafted from the answers' sentences" in result.stderr
    )


def test_offline_skips_a_configured_llm(llm: OpenAIServer, llm_env) -> None:
    result = run("bank", "import", str(FIXTURES / "numbered.txt"), "--offline", **llm_env)
    assert result.returncode == 0, result.stderr
    assert llm.chat_requests == []
    assert "Key points by the LLM" not in result.stderr
