"""SQLite persistence: the embedded default for the console and the local web service.

One file, one table (id TEXT PRIMARY KEY, attributes TEXT JSON, version INTEGER). The version lives in its own
column (not inside the JSON) and is put back into the dict on read, so the conditional write is a plain
`UPDATE ... WHERE version = ?`. A connection per call keeps it safe for the threaded web service; SQLite's
own locking (with a busy timeout) serialises the writers.

A database that cannot be opened (read-only or missing data directory, full disk, a file that is not a
SQLite database) never stops the skill from starting: the adapter logs it, and every operation tries to
open it again and raises PersistenceException while it still cannot, so the skill keeps talking and says it
can't remember right now. Nothing here ever deletes, truncates or recreates an existing file.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from decimal import Decimal
from pathlib import Path
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import PersistenceException

from trust_builder.storage.versioning import VERSION_KEY, WriteConflict, expected_version, household_key

logger = logging.getLogger(__name__)

DEFAULT_DATA_DIR = Path("data")
DATABASE_FILE_NAME = "trust_builder.sqlite3"
_BUSY_TIMEOUT_S = 5.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS progress (
    id TEXT PRIMARY KEY,
    attributes TEXT NOT NULL,
    version INTEGER NOT NULL
)
"""


class SqliteAdapter(AbstractPersistenceAdapter):
    """AbstractPersistenceAdapter over one SQLite file, with versioned conditional writes."""

    def __init__(
        self,
        path: str | Path = DEFAULT_DATA_DIR / DATABASE_FILE_NAME,
        partition_keygen: Callable[[Any], str] = household_key,
    ) -> None:
        self.path = Path(path)
        self.partition_keygen = partition_keygen
        self._ready = False
        self._opening = threading.Lock()
        try:
            self._open()
        except PersistenceException as error:
            logger.warning("progress database unavailable at start-up (%s); retrying on use", error)

    def _open(self) -> None:
        """Creates the folder and the table if needed, once; raises PersistenceException while it can't."""
        if self._ready:
            return
        with self._opening:
            if self._ready:
                return
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with closing(sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S)) as conn, conn:
                    conn.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
                    conn.execute(_SCHEMA)
            except (OSError, sqlite3.Error) as error:
                reason = type(error).__name__
                raise PersistenceException(f"cannot open the progress database: {reason}") from error
            self._ready = True

    def _connect(self) -> sqlite3.Connection:
        self._open()
        return sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S)

    def get_attributes(self, request_envelope: Any) -> dict[str, Any]:
        key = self.partition_keygen(request_envelope)
        try:
            with closing(self._connect()) as conn:
                row = conn.execute("SELECT attributes, version FROM progress WHERE id = ?", (key,)).fetchone()
        except sqlite3.Error as error:
            raise PersistenceException(f"read failed: {type(error).__name__}") from error
        if row is None:
            return {}
        try:
            attributes = json.loads(row[0])
        except ValueError as error:
            raise PersistenceException("stored attributes are not valid JSON") from error
        if not isinstance(attributes, dict):
            raise PersistenceException("stored attributes are not a JSON object")
        attributes[VERSION_KEY] = row[1]
        return attributes

    def save_attributes(self, request_envelope: Any, attributes: dict[str, Any]) -> None:
        key = self.partition_keygen(request_envelope)
        expected = expected_version(attributes)
        body = {k: v for k, v in attributes.items() if k != VERSION_KEY}
        try:
            text = json.dumps(body, default=_json_default, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise PersistenceException(f"attributes are not storable: {error}") from error
        try:
            with closing(self._connect()) as conn, conn:
                if expected == 0:
                    cursor = conn.execute(
                        "INSERT OR IGNORE INTO progress (id, attributes, version) VALUES (?, ?, 1)",
                        (key, text),
                    )
                else:
                    cursor = conn.execute(
                        "UPDATE progress SET attributes = ?, version = ? WHERE id = ? AND version = ?",
                        (text, expected + 1, key, expected),
                    )
                changed = cursor.rowcount
        except sqlite3.Error as error:
            raise PersistenceException(f"write failed: {type(error).__name__}") from error
        if changed != 1:
            raise WriteConflict(f"stored item is not at version {expected}")
        attributes[VERSION_KEY] = expected + 1

    def delete_attributes(self, request_envelope: Any) -> None:
        key = self.partition_keygen(request_envelope)
        try:
            with closing(self._connect()) as conn, conn:
                conn.execute("DELETE FROM progress WHERE id = ?", (key,))
        except sqlite3.Error as error:
            raise PersistenceException(f"delete failed: {type(error).__name__}") from error


def _json_default(value: Any) -> Any:
    """Decimal (as DynamoDB-shaped data may carry) becomes int when integral, else float."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("non-finite number")
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not storable")
