"""The price table as an editable table model: every accepted edit is saved at once.

An edit that would make a price invalid (text, a negative number, an empty or repeated model
name) is refused by `setData`, so the stored file always validates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from burrdesk.model.price_table import (
    ModelPrice,
    PriceTable,
    default_prices,
    load_price_table,
    save_price_table,
)

_Index = QModelIndex | QPersistentModelIndex
HEADERS = ("Model", "Input $ / 1M", "Output $ / 1M")
_FIELDS = ("model", "input_per_million", "output_per_million")


class PriceTableModel(QAbstractTableModel):
    """Rows of (model, input price, output price); `pricesChanged` after each saved edit."""

    pricesChanged = Signal()

    def __init__(self, path: Path | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self.path = path
        loaded = load_price_table(path)
        self.table: PriceTable = loaded.table
        self.load_error: str | None = loaded.error
        self.save_error: str | None = None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt override
        return 0 if parent.isValid() else len(self.table.prices)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt override
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(  # noqa: N802 - Qt override
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        return super().flags(index) | Qt.ItemFlag.ItemIsEditable

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        price = self.table.prices[index.row()]
        value = getattr(price, _FIELDS[index.column()])
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == 0:
                return value
            return f"{value:.2f}" if round(value, 2) == value else f"{value:g}"
        if role == Qt.ItemDataRole.EditRole:
            return value if index.column() == 0 else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not index.isValid() or role != Qt.ItemDataRole.EditRole:
            return False
        row, column = index.row(), index.column()
        if column == 0:
            name = str(value).strip()
            taken = {p.model.lower() for i, p in enumerate(self.table.prices) if i != row}
            if not name or name.lower() in taken:
                return False
            new_value: Any = name
        else:
            try:
                new_value = float(str(value).strip().lstrip("$").replace(",", ""))
            except ValueError:
                return False
            if not new_value >= 0 or new_value == float("inf"):
                return False
        prices = list(self.table.prices)
        prices[row] = prices[row].model_copy(update={_FIELDS[column]: new_value})
        self._replace(prices)
        self.dataChanged.emit(index, index)
        return True

    def add_model(self, name: str) -> int:
        """Adds a row priced at zero (for the person to fill in); returns its row."""
        taken = {p.model.lower() for p in self.table.prices}
        base, suffix = name.strip() or "new-model", 2
        name = base
        while name.lower() in taken:
            name, suffix = f"{base}-{suffix}", suffix + 1
        row = len(self.table.prices)
        self.beginInsertRows(QModelIndex(), row, row)
        prices = [
            *self.table.prices,
            ModelPrice(model=name, input_per_million=0, output_per_million=0),
        ]
        self.table = PriceTable(prices=prices)
        self.endInsertRows()
        self._save()
        return row

    def remove_row(self, row: int) -> None:
        if not 0 <= row < len(self.table.prices):
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        self.table = PriceTable(prices=[p for i, p in enumerate(self.table.prices) if i != row])
        self.endRemoveRows()
        self._save()

    def reset_to_defaults(self) -> None:
        self.beginResetModel()
        self.table = PriceTable(prices=default_prices())
        self.endResetModel()
        self._save()

    def _replace(self, prices: list[ModelPrice]) -> None:
        self.table = PriceTable(prices=prices)
        self._save()

    def _save(self) -> None:
        try:
            save_price_table(self.table, self.path)
            self.save_error = None
        except OSError as error:
            self.save_error = f"The prices could not be saved: {error}."
        self.pricesChanged.emit()
