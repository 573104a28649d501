"""Choose the persistence adapter from the environment: DynamoDB in AWS, SQLite everywhere else."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

from trust_builder.storage.sqlite_adapter import DATABASE_FILE_NAME, DEFAULT_DATA_DIR, SqliteAdapter


def adapter_from_env(environ: Mapping[str, str] = os.environ) -> AbstractPersistenceAdapter:
    """DynamoDB when PROGRESS_TABLE is set (region from AWS_REGION or AWS_DEFAULT_REGION, optional
    DYNAMODB_ENDPOINT_URL for a local server), else SQLite in TRUST_BUILDER_DATA_DIR (default ./data)."""
    table = environ.get("PROGRESS_TABLE", "").strip()
    if table:
        region = environ.get("AWS_REGION", "").strip() or environ.get("AWS_DEFAULT_REGION", "").strip()
        if not region:
            raise ValueError("PROGRESS_TABLE is set but neither AWS_REGION nor AWS_DEFAULT_REGION is")
        # Imported here so the console and the local web service never load the DynamoDB code path.
        from trust_builder.storage.dynamodb_adapter import DynamoDbProgressAdapter, make_dynamodb_client

        endpoint_url = environ.get("DYNAMODB_ENDPOINT_URL", "").strip() or None
        return DynamoDbProgressAdapter(table, make_dynamodb_client(region, endpoint_url))
    data_dir = Path(environ.get("TRUST_BUILDER_DATA_DIR", "").strip() or DEFAULT_DATA_DIR)
    return SqliteAdapter(data_dir / DATABASE_FILE_NAME)
