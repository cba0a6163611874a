"""Run the web page: `python app.py` (the same as `interviewer serve`), on http://127.0.0.1:7860."""

import sys

from interviewer.errors import InterviewerError
from interviewer.retrieval.embeddings import use_runtime_defaults
from interviewer.services import Services
from interviewer.web.page import build_app, launch

use_runtime_defaults()  # before the model's libraries load (nothing above imports torch)

if __name__ == "__main__":
    try:
        launch(Services.from_settings(serving=True))
    except InterviewerError as exc:  # bad content or settings: say what to fix, no traceback
        sys.exit(f"error: {exc}")
else:  # `gradio app.py` and other tools look for a module-level `demo`
    demo = build_app(Services.from_settings(serving=True))
