"""The CLI contract, through the real `interviewer` console script, in a fresh data directory."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from .cli_support import SCRIPT, run
from .conftest import ROOT


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    data = tmp_path_factory.mktemp("cli-data")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEWER_", "OPENAI_"))}
    environment.update({"INTERVIEWER_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1", "NO_COLOR": "1"})
    return environment


def test_index_counts_then_is_idempotent(env, bank) -> None:
    first = run(env, "index")
    assert first.returncode == 0, first.stderr
    assert f"added {len(bank)}" in first.stdout and "removed 0" in first.stdout
    second = run(env, "index")
    assert f"added 0  updated 0  unchanged {len(bank)}  removed 0" in second.stdout


def test_bank_list_json(env, bank) -> None:
    result = run(env, "bank", "list", "--json")
    rows = json.loads(result.stdout)
    assert len(rows) == len(bank)
    assert set(rows[0]) == {"id", "question", "type", "topic", "difficulty", "sources"}
    pr = next(r for r in rows if r["id"] == "precision-vs-recall")
    assert pr["sources"][0] == {"document": "000_0ecf241cda0c52bc", "ref": "Q5"}


def test_bank_validate_passes_and_fails_with_details(env, tmp_path: Path) -> None:
    ok = run(env, "bank", "validate")
    assert ok.returncode == 0 and "are valid" in ok.stdout
    bad = tmp_path / "bank"
    bad.mkdir()
    (bad / "x.yaml").write_text("- id: Not A Slug\n  question: q\n", encoding="utf-8")
    result = run({**env, "INTERVIEWER_BANK_DIR": str(bad)}, "bank", "validate")
    assert result.returncode == 1
    assert "x.yaml" in result.stderr and "`id`" in result.stderr and "`reference_answer`" in result.stderr


def test_grade_by_id_as_json(env) -> None:
    answer = "Precision is TP/(TP+FP), the share of predicted positives that are right. Recall is TP/(TP+FN)."
    result = run(env, "grade", "--question-id", "precision-vs-recall", "--answer", answer, "--json")
    assert result.returncode == 0, result.stderr
    grade = json.loads(result.stdout)
    for key in (
        "score",
        "max_score",
        "grader",
        "criteria",
        "key_points",
        "misconceptions",
        "feedback",
        "flags",
        "reference_id",
        "reference_similarity",
    ):
        assert key in grade
    assert grade["grader"] == "offline" and grade["max_score"] == 10 and 0 < grade["score"] <= 10
    assert grade["reference_id"] == "precision-vs-recall"
    for point in grade["key_points"]:
        assert {"text", "status", "evidence"} <= set(point)
        assert point["evidence"] is None or point["evidence"] in answer


def test_grade_free_question_names_the_entry_and_refuses_far_ones(env) -> None:
    near = run(
        env,
        "grade",
        "--question",
        "How do precision and recall differ?",
        "--answer",
        "Precision is TP/(TP+FP).",
    )
    assert near.returncode == 0, near.stderr
    assert "precision-vs-recall" in near.stdout and "similarity" in near.stdout
    assert "It asks: “" in near.stdout  # the matched question's text, not only its id
    far = run(env, "grade", "--question", "How do I bake sourdough bread?", "--answer", "Use flour.")
    assert far.returncode == 1 and "Error" not in far.stderr  # a finding, not a fault
    assert "Nothing in the bank is close enough" in far.stderr and "--reference" in far.stderr
    assert "the nearest is '" in far.stderr and "(“" in far.stderr


def test_grade_ad_hoc_from_stdin_and_file(env, tmp_path: Path) -> None:
    args = [
        "grade",
        "--question",
        "What is a stack?",
        "--reference",
        "A last-in, first-out collection.",
        "--json",
    ]
    from_stdin = run(env, *args, "--answer-file", "-", stdin="A stack is a last in first out collection.")
    grade = json.loads(from_stdin.stdout)
    assert grade["reference_id"] is None and grade["score"] >= 7
    answer_file = tmp_path / "answer.txt"
    answer_file.write_text("A stack is a last in first out collection.", encoding="utf-8")
    from_file = json.loads(run(env, *args, "--answer-file", str(answer_file)).stdout)
    assert from_file["score"] == grade["score"]
    missing = run(env, *args, "--answer-file", str(tmp_path / "nope.txt"))
    assert missing.returncode == 2 and "Cannot read the answer file" in missing.stderr


def test_eval_reports_figures_and_writes_predictions(env, tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    records = [
        {
            "id": "1",
            "question": "What is a stack?",
            "reference": "A last-in, first-out collection.",
            "answer": "A last in first out collection of items.",
            "score": 5,
            "max_score": 5,
            "note": "kept",
        },
        {
            "id": "2",
            "question": "What is a stack?",
            "reference": "A last-in, first-out collection.",
            "answer": "A collection where the first item added is the first removed.",
            "score": 1,
            "max_score": 5,
        },
        {
            "id": "3",
            "question": "What is a stack?",
            "reference": "A last-in, first-out collection.",
            "answer": "A stack keeps items so that the most recently added comes out first.",
            "score": 4,
            "max_score": 5,
        },
        {
            "id": "4",
            "question": "What is the difference between precision and recall?",
            "answer": "Precision is TP/(TP+FP) and recall is TP/(TP+FN).",
            "score": 0.8,
            "max_score": 1,
        },
    ]
    data.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    out = tmp_path / "pred.jsonl"
    result = run(env, "eval", str(data), "--json", "--out", str(out))
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    for key in ("n", "pearson", "spearman", "mean_question_pearson", "rmse", "qwk"):
        assert key in figures
    assert figures["n"] == 4
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["1", "2", "3", "4"]
    assert (
        rows[0]["note"] == "kept" and rows[0]["grader"] == "offline" and 0 <= rows[0]["predicted_score"] <= 5
    )
    assert rows[3]["reference_id"] == "precision-vs-recall" and rows[3]["predicted_score"] <= 1
    for name in ("word_overlap", "embedding_cosine"):  # baselines measured in the same run
        assert figures["baselines"][name]["n"] == 4 and -1 <= figures["baselines"][name]["pearson"] <= 1
    table = run(env, "eval", str(data)).stdout  # human-readable form: ours beside the baselines
    header = next(line for line in table.splitlines() if line.startswith("measure"))
    assert header.split() == ["measure", "offline", "word_overlap", "embedding_cosine"]
    assert any(line.startswith("Pearson r") and len(line.split()) == 5 for line in table.splitlines())


def test_eval_of_an_answer_set_prints_kinds_and_targets(env, tmp_path: Path) -> None:
    (tmp_path / "answers").mkdir()
    (tmp_path / "answers" / "a.yaml").write_text(
        """\
- question_id: l1-vs-l2-regularization
  kind: excellent
  score: 9.5
  answer: >-
    L1 adds the sum of absolute weights to the loss and pushes some weights to exactly zero, so it selects
    features; L2 adds the sum of squares and shrinks every weight smoothly without zeroing it.
- question_id: l1-vs-l2-regularization
  kind: swapped
  score: 0.5
  note: L1 and L2 exchanged.
  answer: >-
    L2 regularization sets many weights to exactly zero, so it gives sparse models and does feature
    selection. L1 shrinks all weights smoothly towards zero but never exactly to zero.
""",
        encoding="utf-8",
    )
    (tmp_path / "split.yaml").write_text("dev: [l1-vs-l2-regularization]\ntest: []\n", encoding="utf-8")
    result = run(env, "eval", str(tmp_path), "--split", "dev", "--json")
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    kinds = {k["kind"]: k for k in figures["kinds"]}
    assert figures["n"] == 2 and set(kinds) == {"excellent", "swapped"}
    assert kinds["swapped"]["mean"] <= 3 < kinds["excellent"]["mean"]
    assert figures["targets"][0]["name"] == "Spearman rho with the human scores"
    nothing = run(env, "eval", str(tmp_path), "--split", "sideways")
    assert nothing.returncode == 2 and "--split is dev, test or all" in nothing.stderr


def test_eval_rejects_a_malformed_line(env, tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text(
        '{"question": "q", "answer": "a", "score": 1, "max_score": 1}\n{not json\n', encoding="utf-8"
    )
    result = run(env, "eval", str(data))
    assert result.returncode == 2 and "line 2" in result.stderr


def test_practice_in_the_terminal(env, tmp_path: Path) -> None:
    save = tmp_path / "session.json"
    # a two-paragraph answer, sent by a line holding only "."
    script = "/hint\n\nPrecision is TP/(TP+FP).\n\nRecall is TP/(TP+FN).\n.\n/skip\n"
    result = run(
        env,
        "practice",
        "--questions",
        "1",
        "--follow-ups",
        "1",
        "--topic",
        "evaluation-metrics",
        "--difficulty",
        "1",
        "--seed",
        "3",
        "--save",
        str(save),
        stdin=script,
    )
    assert result.returncode == 0, result.stderr
    assert (
        "Question 1 of 1" in result.stdout
        and "Hint:" in result.stdout
        and "end of the interview" in result.stdout
    )
    saved = json.loads(save.read_text())
    turns = saved["questions"][0]["turns"]
    assert [t["kind"] for t in turns][:4] == ["question", "hint", "answer", "feedback"]
    assert turns[2]["text"] == "Precision is TP/(TP+FP).\n\nRecall is TP/(TP+FN)."
    assert saved["questions"][0]["reference_answer"]  # the saved report carries the reference answer


def test_practice_wraps_at_word_boundaries_and_prints_a_report_without_save(
    env, tmp_path: Path, bank
) -> None:
    args = ["practice", "--questions", "1", "--follow-ups", "0", "--topic", "linear-models", "--seed", "1"]
    # the end of input (Ctrl-D) sends the answer typed so far; then the interview ends
    result = run(
        {**env, "COLUMNS": "60"}, *args, stdin="L1 adds absolute weights.\n\nL2 adds squares.\n", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    question = next(line for line in out.splitlines() if line.startswith("Question 1 of 1: "))
    asked = " ".join(out.split("Question 1 of 1: ", 1)[1].split("You:", 1)[0].split())
    assert len(asked) > len(question) - len("Question 1 of 1: ")  # the question was wrapped...
    assert all(len(line.rstrip()) <= 60 for line in out.splitlines())  # ...to the terminal's width
    assert asked in {e.question for e in bank.entries.values()}  # ...at word boundaries: no word cut in two
    assert "Score:" in out and "Interview report" in out and "Overall score" in out  # a report at the end
    assert not list(tmp_path.glob("*.md"))  # and nothing written


def test_ctrl_c_asks_whether_to_save_and_quit(env, tmp_path: Path) -> None:
    process = subprocess.Popen(
        [SCRIPT, "practice", "--questions", "2", "--follow-ups", "0", "--topic", "linear-models"],
        env={**env, "PYTHONUNBUFFERED": "1"},
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()  # what it prints, as it prints it (a prompt ends no line)

    def reader() -> None:
        assert process.stdout is not None
        for character in iter(lambda: process.stdout.read(1), ""):  # type: ignore[union-attr]
            lines.put(character)

    threading.Thread(target=reader, daemon=True).start()

    def read_until(text: str, timeout: float = 240) -> str:
        seen, deadline = "", time.monotonic() + timeout
        while text not in seen:
            seen += lines.get(timeout=max(0.1, deadline - time.monotonic()))
        return seen

    try:
        read_until("You:")
        process.send_signal(signal.SIGINT)  # Ctrl-C while the candidate is typing
        assert "Stop the interview?" in read_until("carry on")
        process.stdin.write("c\n")  # type: ignore[union-attr]
        process.stdin.flush()  # type: ignore[union-attr]
        carried = read_until("You:")
        assert "Carrying on" in carried, carried
        process.send_signal(signal.SIGINT)
        read_until("carry on")
        process.stdin.write("s\n")  # type: ignore[union-attr]
        process.stdin.close()  # type: ignore[union-attr]
        rest = read_until("Transcript saved to")
        assert process.wait(timeout=60) == 0
    finally:
        process.kill()
    assert "end of the interview" in rest and "Interview report" in rest
    (saved,) = tmp_path.glob("interview-*.md")
    assert saved.read_text().startswith("# Interview report") and "(ended the interview)" in saved.read_text()


def test_grade_refuses_an_answer_over_the_configured_limit(env) -> None:
    result = run(
        {**env, "INTERVIEWER_MAX_ANSWER_CHARS": "50"},
        "grade",
        "--question-id",
        "precision-vs-recall",
        "--answer",
        "x" * 51,
    )
    assert result.returncode == 2
    assert "51 characters; the limit is 50" in result.stderr and "Shorten it" in result.stderr


def test_ask_lists_the_nearest_questions(env, bank) -> None:
    found = run(env, "ask", "bias-variance in trees", "--json")
    assert found.returncode == 0, found.stderr
    rows = json.loads(found.stdout)
    assert rows[0]["id"] == "bias-variance-tradeoff" and 1 < len(rows) <= 5
    assert set(rows[0]) == {"id", "question", "type", "topic", "difficulty", "similarity"}
    similarities = [r["similarity"] for r in rows]
    assert similarities == sorted(similarities, reverse=True) and similarities[-1] >= 0.3
    table = run(env, "ask", "bias-variance in trees", "--topic", "trees-and-ensembles", "--limit", "2")
    lines = table.stdout.splitlines()
    assert table.returncode == 0 and len(lines) == 2
    for line in lines:  # id, type, topic, similarity, question
        entry_id, kind, topic, similarity, *question = line.split()
        assert bank.get(entry_id).type.value == kind and topic == "trees-and-ensembles"
        assert 0.3 <= float(similarity) <= 1
        assert question[-1].endswith("?")
    far = run(env, "ask", "medieval french poetry and troubadours")
    assert far.returncode == 1 and far.stdout == ""
    assert "Nothing in the bank is close to “medieval french poetry and troubadours”" in far.stderr
    assert "Try other words" in far.stderr
    blank = run(env, "ask", "  ")
    assert blank.returncode == 2 and 'interviewer ask "' in blank.stderr


def test_practice_about_asks_the_nearest_questions_within_the_filters(env, tmp_path: Path) -> None:
    save = tmp_path / "about.json"
    args = ["practice", "--about", "bias-variance in trees", "--questions", "2", "--follow-ups", "0"]
    result = run(env, *args, "--topic", "trees-and-ensembles", "--save", str(save), stdin="/skip\n/skip\n")
    assert result.returncode == 0, result.stderr
    assert "Found 2 questions about “bias-variance in trees”:" in result.stdout
    asked = json.loads(save.read_text())["questions"]
    assert len(asked) == 2 and {q["topic"] for q in asked} == {"trees-and-ensembles"}
    unfiltered = run(env, *args[:-4], "--questions", "1", "--save", str(save), stdin="/end\n")
    assert json.loads(save.read_text())["questions"][0]["entry_id"] == "bias-variance-tradeoff"
    assert "Found 1 question about “bias-variance in trees”:\n  - " in unfiltered.stdout
    far = run(env, "practice", "--about", "medieval french poetry", "--topic", "linear-models", stdin="")
    assert far.returncode == 1 and "Question 1" not in far.stdout and "Error" not in far.stderr
    assert "Nothing in the bank is close to “medieval french poetry” with these" in far.stderr
    assert "leave out --about" in far.stderr


def test_serve_starts_the_page(env) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    process = subprocess.Popen(
        [SCRIPT, "serve", "--port", port],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline, body = time.time() + 120, ""
        while time.time() < deadline and not body:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read().decode()
            except OSError:
                time.sleep(0.5)
        assert "gradio" in body.lower()
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_app_py_is_importable_as_the_gradio_entry(env) -> None:
    code = "import app, gradio; assert isinstance(app.demo, gradio.Blocks)"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert shutil.which(SCRIPT)


def test_grade_in_the_terminal_says_what_the_grader_is_unsure_of(capsys) -> None:
    from interviewer.cli.grade import print_grade
    from interviewer.models import Grade, KeyPointResult

    doubt = "“Bagging trains its models one after another” may say the opposite of this point: check it against the reference."
    points = [
        KeyPointResult(text="Boosting trains its models one after another.", weight=1, status="covered"),
        KeyPointResult(text="Bagging reduces variance.", weight=1, status="partial"),
    ]
    unsure = Grade(
        score=5,
        grader="offline",
        flags=["padding", "unsure"],
        key_points=[points[0].model_copy(update={"confidence": 0.5, "doubt": doubt}), points[1]],
    )
    print_grade(unsure)
    out = capsys.readouterr().out
    assert "The grader is unsure about 1 key point: check it against the reference answer." in out
    assert f"[covered] Boosting trains its models one after another.\n      unsure: {doubt}\n" in out
    assert "Flags: padding\n" in out and out.count("unsure") == 2
    print_grade(Grade(score=5, grader="offline", flags=["padding"], key_points=points))
    out = capsys.readouterr().out
    assert "nsure" not in out and "Flags: padding\n" in out


def test_ctrl_c_while_grading_waits_for_the_grade() -> None:
    import signal as signals

    from interviewer.cli.terminal import CtrlC

    ctrl_c = CtrlC()
    ctrl_c(signals.SIGINT, None)  # while grading or printing: noted, nothing cut off
    assert ctrl_c.pending
    # then, before reading the next answer, the question comes
    with pytest.raises(KeyboardInterrupt), ctrl_c.reading():
        pass
    assert not ctrl_c.pending
    with pytest.raises(KeyboardInterrupt), ctrl_c.reading():  # while reading: at once
        ctrl_c(signals.SIGINT, None)


def test_index_prepare_keeps_the_grading_work_per_entry(tmp_path: Path) -> None:
    import yaml

    entries = yaml.safe_load((ROOT / "bank" / "evaluation-metrics.yaml").read_text())[:2]
    bank_dir = tmp_path / "bank"
    bank_dir.mkdir()
    (bank_dir / "two.yaml").write_text(yaml.safe_dump(entries, sort_keys=False))
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEWER_", "OPENAI_"))}
    environment.update(
        {
            "INTERVIEWER_DATA_DIR": str(tmp_path / "data"),
            "INTERVIEWER_BANK_DIR": str(bank_dir),
            "HF_HUB_OFFLINE": "1",
            "NO_COLOR": "1",
        }
    )
    first = run(environment, "index", "--prepare")
    assert first.returncode == 0, first.stderr
    assert "added 2" in first.stdout and "texts encoded" in first.stdout
    kept = list((tmp_path / "data" / "vectors").glob("*.entry-work.*"))
    assert sorted(p.suffix for p in kept) == [".json", ".npy"]
    again = run(environment, "index", "--prepare")
    assert "grading work per entry: kept in the data directory (0 texts encoded)" in again.stdout
