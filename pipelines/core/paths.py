"""Where the project's data folders live (templates, similarity maps, data cards)."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = PROJECT_ROOT / "templates"
SIMILARITY_DIR = PROJECT_ROOT / "similarity_maps"
DATA_CARDS_DIR = PROJECT_ROOT / "data_cards"
