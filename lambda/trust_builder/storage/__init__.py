"""Persistence for household progress: ASK SDK persistence adapters (SQLite, DynamoDB) with versioned
conditional writes, and the ProgressStore the skill's interceptors call.

The DynamoDB adapter is not imported here (it loads boto3); import it from
trust_builder.storage.dynamodb_adapter, or let adapter_from_env pick it.
"""

from trust_builder.storage.factory import adapter_from_env
from trust_builder.storage.progress_store import LoadResult, PendingWrite, ProgressStore, SaveResult
from trust_builder.storage.sqlite_adapter import SqliteAdapter
from trust_builder.storage.versioning import WriteConflict

__all__ = [
    "LoadResult",
    "PendingWrite",
    "ProgressStore",
    "SaveResult",
    "SqliteAdapter",
    "WriteConflict",
    "adapter_from_env",
]
