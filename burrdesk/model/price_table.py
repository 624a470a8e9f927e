"""What LLM tokens cost: USD per million input and output tokens, per model, for Insights.

The defaults are OpenAI's published list prices for standard (non-batch, uncached) requests as
of August 2025. Prices change and contracts differ, so the table is only a starting point: it
is edited in the Insights panel and kept in `prices.json` in the user's data directory. A file
that cannot be read gives one sentence and the defaults; the file itself is kept (saving over
it first copies it to `prices.json.invalid`).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from burrdesk.model.data_location import user_data_dir

PRICES_FILE = "prices.json"

DEFAULT_PRICES: tuple[tuple[str, float, float], ...] = (
    ("gpt-5", 1.25, 10.00),
    ("gpt-5-mini", 0.25, 2.00),
    ("gpt-5-nano", 0.05, 0.40),
    ("gpt-4.1", 2.00, 8.00),
    ("gpt-4.1-mini", 0.40, 1.60),
    ("gpt-4.1-nano", 0.10, 0.40),
    ("gpt-4o", 2.50, 10.00),
    ("gpt-4o-mini", 0.15, 0.60),
    ("o3", 2.00, 8.00),
    ("o4-mini", 1.10, 4.40),
    ("o3-mini", 1.10, 4.40),
    ("o1", 15.00, 60.00),
    ("gpt-4-turbo", 10.00, 30.00),
    ("gpt-3.5-turbo", 0.50, 1.50),
    ("echo", 0.0, 0.0),
)
"""(model, USD per 1M input tokens, USD per 1M output tokens); "echo" is burrdesk's offline
mode, which costs nothing."""


class ModelPrice(BaseModel):
    """One model's list price."""

    model_config = ConfigDict(extra="ignore")

    model: str = Field(min_length=1)
    input_per_million: float = Field(ge=0, description="USD per 1M input (prompt) tokens")
    output_per_million: float = Field(ge=0, description="USD per 1M output (completion) tokens")

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (
            input_tokens * self.input_per_million + output_tokens * self.output_per_million
        ) / 1e6


def default_prices() -> list[ModelPrice]:
    return [
        ModelPrice(model=name, input_per_million=i, output_per_million=o)
        for name, i, o in DEFAULT_PRICES
    ]


class PriceTable(BaseModel):
    """Prices by model; a dated model id ("gpt-4o-mini-2024-07-18") or one with a provider
    prefix ("openai/gpt-4o") takes the price of the longest listed name it starts with."""

    model_config = ConfigDict(extra="ignore")

    prices: list[ModelPrice] = Field(default_factory=default_prices)

    def price_for(self, model: str) -> ModelPrice | None:
        name = model.strip().lower().rsplit("/", 1)[-1]
        best: ModelPrice | None = None
        for price in self.prices:
            listed = price.model.strip().lower()
            if name == listed:
                return price
            if (
                name.startswith(listed)
                and name[len(listed)] in "-:@"
                and (best is None or len(listed) > len(best.model.strip()))
            ):
                best = price
        return best

    def cost(self, model: str, input_tokens: int, output_tokens: int) -> float | None:
        """USD for these tokens, or None when the model has no price."""
        price = self.price_for(model)
        return None if price is None else price.cost(input_tokens, output_tokens)


class LoadedPrices(NamedTuple):
    table: PriceTable
    error: str | None
    """One sentence when the file could not be used (the table is then the defaults)."""


def prices_path() -> Path:
    return user_data_dir() / PRICES_FILE


def _read(path: Path) -> PriceTable:
    return PriceTable.model_validate(json.loads(path.read_text(encoding="utf-8")))


def load_price_table(path: Path | None = None) -> LoadedPrices:
    """The stored prices; the defaults when there is no file, or when it is unreadable (with a
    sentence saying so; the file is left as it is)."""
    path = path or prices_path()
    if not path.exists():
        return LoadedPrices(PriceTable(), None)
    try:
        return LoadedPrices(_read(path), None)
    except (OSError, ValueError, ValidationError) as error:
        reason = _reason(error)
        return LoadedPrices(
            PriceTable(),
            f"{path} is not a valid price table ({reason}), so the default prices are used.",
        )


def save_price_table(table: PriceTable, path: Path | None = None) -> Path:
    """Writes the table atomically; an unreadable file already there is kept beside it as
    `<name>.invalid` first, so a hand-edited file with a typo is never lost."""
    path = path or prices_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        try:
            _read(path)
        except (OSError, ValueError, ValidationError):
            shutil.copy2(path, path.with_name(path.name + ".invalid"))
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(table.model_dump(mode="json"), indent=2), encoding="utf-8")
    os.replace(temporary, path)
    return path


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the file"
        return f"{where}: {first['msg'].lower()}"
    if isinstance(error, json.JSONDecodeError):
        return f"not JSON at line {error.lineno}"
    return str(error).rstrip(".")
