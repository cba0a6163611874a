"""The one place that reads the environment.

Every setting can come from an `INTERVIEWER_*` environment variable or a `.env` file in the working
directory. The LLM endpoint also honours the standard `OPENAI_API_KEY` and `OPENAI_BASE_URL` variables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from interviewer.errors import InterviewerError

PROJECT_DIR = Path(__file__).resolve().parent.parent
BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="INTERVIEWER_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(default=PROJECT_DIR / ".interviewer", description="Index, sessions and caches.")
    bank_dir: Path = PROJECT_DIR / "bank"
    rubrics_dir: Path = PROJECT_DIR / "rubrics"

    embedding_model: str = Field(
        default=BUNDLED_MODEL,
        description="A sentence-transformers model name or directory; the default is the bundled MiniLM.",
    )
    embedding_device: str = "cpu"
    # What the pair model (`entailment`) reads. "doubts", the default: only the clauses the sentence vectors leave in
    # doubt against a key point's contrast, a pass for about one answer in five; on evals/ dev (56 questions) it
    # takes rho 0.638 -> 0.668 (docs/grader-notes.md, thirteenth session). "all": the clause nearest every contrast
    # too; with it the page served 500 typing candidates with p95 7.6 s and 86 errors, against 0.6 s and none
    # without (docs/load-notes.md, twelfth session). "off": vectors and wording alone. `true` and `false`, the
    # setting's old values, mean "all" and "off".
    pair_model: Literal["off", "doubts", "all"] = Field(
        default="doubts",
        description="What the pair model reads: clauses in doubt (doubts), every contrast too (all), or nothing (off).",
    )

    @field_validator("pair_model", mode="before")
    @classmethod
    def _pair_model_from_bool(cls, value: object) -> object:
        """The old true/false values: "all" and "off"."""
        old = {"true": "all", "1": "all", "yes": "all", "false": "off", "0": "off", "no": "off"}
        if isinstance(value, bool):
            return "all" if value else "off"
        return old.get(str(value).strip().lower(), value)

    prepare_entries: bool = Field(
        default=True,
        description="After start-up, do the grading work per bank entry that the data directory does not keep yet "
        "(`grading.entry_work`; minutes of CPU in a new data directory, then kept).",
    )

    database_url: str | None = Field(
        default=None,
        repr=False,  # it may hold a password
        description="Keep sessions in this database instead of the SQLite file in data_dir, e.g. "
        '"postgresql+psycopg://user:password@host/interviewer".',
    )

    chroma_host: str | None = Field(
        default=None, description="Use a Chroma server instead of the embedded store."
    )
    chroma_port: int = 8000
    chroma_collection: str = "questions"

    # Grading against a free-text question: how close the nearest bank entry must be.
    reference_min_similarity: float = Field(default=0.55, ge=0, le=1)
    max_answer_chars: int = Field(default=8000, gt=0)

    # The LLM grader (used when a base URL or API key is configured).
    llm_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "INTERVIEWER_LLM_API_KEY")
    )
    llm_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "INTERVIEWER_LLM_BASE_URL")
    )
    llm_model: str = "gpt-4o-mini"
    llm_timeout: float = Field(
        default=30.0, gt=0, description="Seconds per LLM request (the client's own is 600)."
    )
    llm_retries: int = Field(default=2, ge=0)
    llm_max_retry_wait: float = Field(
        default=10.0, ge=0, description="Longest Retry-After (s) honoured; a longer one falls back at once."
    )
    grader: Literal["auto", "offline", "llm"] = Field(
        default="auto", description="auto: the LLM grader when an endpoint is configured, else offline."
    )

    host: str = "127.0.0.1"
    port: int = 7860
    auth: SecretStr | None = Field(
        default=None, description='Password for the web page: "user:password", several separated by commas.'
    )
    web_concurrency: int = Field(default=3, ge=1, description="Gradings the web page runs at once.")
    model_process: bool = Field(
        default=True,
        description="The page runs the model in a process of its own, so it can use a second core.",
    )
    # 1: the page's Python work holds one core, and a pass on two threads spins on the other: at 22-24 turns/s
    # offered, 2 threads cost 29 ms of the model process's CPU per turn against 23 (docs/load-notes.md).
    model_threads: int = Field(
        default=1, ge=0, description="Threads per model pass on the page (0: torch's default, every core)."
    )
    queue_size: int = Field(
        default=64, ge=1, description="Events waiting in the page's queue; more are told the page is busy."
    )
    answers_per_minute: int = Field(default=10, ge=1, description="Answers one visitor may send per minute.")
    login_attempts: int = Field(
        default=5, ge=1, description="Failed logins from one address before a lockout."
    )
    login_lockout_seconds: float = Field(default=60.0, gt=0, description="How long a login lockout lasts.")
    retention_days: float = Field(
        default=30.0, gt=0, description="Days a download (export) is kept before it is removed."
    )

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def exports_dir(self) -> Path:
        return self.data_dir / "exports"

    @property
    def sessions_db(self) -> Path | str:
        """Where `SessionStore` keeps sessions: `database_url` when set, else a SQLite file in `data_dir`."""
        return self.database_url or self.data_dir / "sessions.sqlite3"

    @property
    def auth_pairs(self) -> list[tuple[str, str]]:
        """The (user, password) pairs from `auth`; empty when the page is open."""
        if self.auth is None:
            return []
        pairs = []
        for item in self.auth.get_secret_value().split(","):
            user, sep, password = item.strip().partition(":")
            if not (sep and user and password):
                raise InterviewerError(
                    'INTERVIEWER_AUTH must look like "user:password" (several separated by commas); fix it and restart.'
                )
            pairs.append((user, password))
        return pairs

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_base_url or self.llm_api_key)

    @property
    def uses_llm(self) -> bool:
        """Whether answers are graded by the LLM grader (with the offline grader as its fallback)."""
        return self.grader == "llm" or (self.grader == "auto" and self.llm_configured)
