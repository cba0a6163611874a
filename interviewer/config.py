"""The one place that reads the environment.

Every setting can come from an `INTERVIEWER_*` environment variable or a `.env` file in the working
directory. The LLM endpoint also honours the standard `OPENAI_API_KEY` and `OPENAI_BASE_URL` variables.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    llm_timeout: float = Field(default=30.0, gt=0)
    llm_retries: int = Field(default=2, ge=0)

    host: str = "127.0.0.1"
    port: int = 7860

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def sessions_db(self) -> Path:
        return self.data_dir / "sessions.sqlite3"

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_base_url or self.llm_api_key)
