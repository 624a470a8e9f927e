"""The price table: defaults, matching dated model ids, and a file that survives mistakes."""

from __future__ import annotations

import json

import pytest

from burrdesk.model.price_table import (
    ModelPrice,
    PriceTable,
    load_price_table,
    prices_path,
    save_price_table,
)


def test_defaults_price_common_models_and_match_dated_ids():
    table = PriceTable()
    assert table.price_for("gpt-4o-mini").input_per_million == 0.15
    assert table.price_for("gpt-4o-mini-2024-07-18").model == "gpt-4o-mini"
    assert table.price_for("gpt-4o-2024-08-06").model == "gpt-4o"
    assert table.price_for("openai/GPT-4.1-nano").model == "gpt-4.1-nano"
    assert table.price_for("gpt-4oops") is None and table.price_for("llama3") is None
    assert table.cost("gpt-4o", 1_000_000, 100_000) == pytest.approx(2.5 + 1.0)
    assert table.cost("mistral", 10, 10) is None


def test_the_table_is_kept_in_the_data_directory(data_dir):
    assert load_price_table() == (PriceTable(), None)
    table = PriceTable(
        prices=[ModelPrice(model="local", input_per_million=1, output_per_million=2)]
    )
    path = save_price_table(table)
    assert path == prices_path() == data_dir / "prices.json"
    assert load_price_table() == (table, None)
    assert json.loads(path.read_text())["prices"][0]["output_per_million"] == 2


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "not JSON at line 1"),
        (
            '{"prices": [{"model": "x", "input_per_million": -1, "output_per_million": 0}]}',
            "prices.0.input_per_million: input should be greater than or equal to 0",
        ),
    ],
)
def test_an_invalid_file_gives_one_sentence_and_the_defaults_and_is_kept(data_dir, text, reason):
    path = prices_path()
    path.parent.mkdir(parents=True)
    path.write_text(text)
    table, error = load_price_table()
    assert table == PriceTable()
    assert error == f"{path} is not a valid price table ({reason}), so the default prices are used."
    assert path.read_text() == text
    save_price_table(table)
    assert path.with_name("prices.json.invalid").read_text() == text
    assert load_price_table() == (table, None)
