"""An Alexa API client that loads the real one at its first call.

The SDK's DefaultApiClient imports `requests` (and urllib3, ssl, charset detection): over 100 ms of a cold
start, for a client that only the Timers API uses, on the few requests that set or cancel a timer. The skill
is built with this stand-in instead; the first `invoke` imports trust_builder.timers and hands every call to
its BoundedApiClient (the SDK's client with timeouts), so what goes over the wire is unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ask_sdk_model.services import ApiClient

if TYPE_CHECKING:
    from ask_sdk_model.services import ApiClientRequest, ApiClientResponse


class LazyBoundedApiClient(ApiClient):
    def __init__(self) -> None:
        self._client: ApiClient | None = None

    def invoke(self, request: ApiClientRequest) -> ApiClientResponse:
        if self._client is None:
            from trust_builder.timers import BoundedApiClient

            self._client = BoundedApiClient()
        return self._client.invoke(request)
