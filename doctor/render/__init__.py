"""Renderers: turn a Report into text, JSON or Markdown. The engine never prints."""

from doctor.render.json import render_json
from doctor.render.markdown import render_markdown
from doctor.render.text import render_text

__all__ = ["render_json", "render_markdown", "render_text"]
