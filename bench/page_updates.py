"""What Gradio's postprocessing costs per output of an event: a plain value, `gr.skip()` and an update.

    .venv/bin/python bench/page_updates.py

Gradio builds a new component (and its config) for every update an event returns, `gr.skip()` included; a plain
value only goes through the component's `postprocess`. The page's views send plain values where the page shows
the value already (`web/actions.py`). Each figure is the mean over repeated calls of `Blocks.postprocess_data`
with one output, on this machine, in milliseconds. Prints figures; asserts nothing.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import gradio as gr
from gradio.state_holder import SessionState

CALLS = 400
CHAT = [{"role": "user", "content": "hello " * 50}, {"role": "assistant", "content": "reply " * 100}] * 3


async def per_call(page: gr.Blocks, fn: Any, value: Any, state: SessionState) -> float:
    began = time.perf_counter()
    for _ in range(CALLS):
        await page.postprocess_data(fn, value, state)
    return (time.perf_counter() - began) / CALLS * 1000


def main() -> None:
    with gr.Blocks() as page:
        outputs: dict[str, tuple[Any, Any]] = {
            "HTML": (gr.HTML("x"), "<b>x</b>"),
            "Markdown": (gr.Markdown("y"), "y"),
            "Textbox": (gr.Textbox(), "an answer"),
            "Button": (gr.Button("Hint"), "Hint"),
            "DownloadButton (hidden)": (gr.DownloadButton(visible=False), None),
            "Chatbot (6 messages)": (gr.Chatbot(), CHAT),
        }
        with gr.Accordion("Set up") as accordion:
            gr.Markdown("inside")
        go = gr.Button("go")
        for component, _ in outputs.values():
            go.click(lambda: None, None, [component])
        go.click(lambda: None, None, [accordion])
    state = SessionState(page)
    print(f"ms per output of one event (mean of {CALLS} calls); cores {os.cpu_count()}")
    print(f"{'output':26s} {'plain':>7s} {'skip':>7s} {'update':>7s}")
    for fn, (name, (_, value)) in zip(page.fns.values(), outputs.items(), strict=False):
        plain = asyncio.run(per_call(page, fn, value, state))
        skip = asyncio.run(per_call(page, fn, gr.skip(), state))
        update = asyncio.run(per_call(page, fn, gr.update(visible=True), state))
        print(f"{name:26s} {plain:7.3f} {skip:7.3f} {update:7.3f}")
    fn = list(page.fns.values())[-1]
    skip = asyncio.run(per_call(page, fn, gr.skip(), state))
    update = asyncio.run(per_call(page, fn, gr.Accordion(open=False), state))
    print(f"{'Accordion (no value)':26s} {'-':>7s} {skip:7.3f} {update:7.3f}")


if __name__ == "__main__":
    main()
