"""Run the web page: `python app.py` (the same as `interviewer serve`)."""

from interviewer.services import Services
from interviewer.web import build_app, launch

if __name__ == "__main__":
    launch(Services.from_settings())
else:  # `gradio app.py` and other tools look for a module-level `demo`
    demo = build_app(Services.from_settings())
