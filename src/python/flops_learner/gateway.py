"""The learner protocol over HTTP(S), with nothing but the standard library.

Every exchange has a deadline (body included), every body is read with a bound, redirects are not
followed (they would carry the device token elsewhere) and compressed answers are never asked for.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .task import FLOAT32_LE, Task, TaskError

TOKEN_HEADER = "X-Device-Token"
REGISTER_ROUTE = "/api/v1/devices"
USER_AGENT = "flops-learner-python/0.1"

#: A kept-alive connection idle longer than this is not reused (servers close idle ones, Kestrel after 130 s).
MAX_IDLE_SECONDS = 30.0


class GatewayError(Exception):
    """An exchange that went wrong (unreachable, too slow, an answer the protocol does not allow): retried after a pause."""


class DeviceForgotten(GatewayError):
    """A device route answered 401: the gateway no longer knows this device, which registers again."""


class RegistrationRefused(Exception):
    """The gateway refused the registration (400, 401 or 403): retrying cannot help, so the learner stops."""


@dataclass(frozen=True)
class Device:
    id: str
    token: str


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise GatewayError(f"the gateway's answer is not the JSON expected ({error})") from None

    def problem(self) -> tuple[str, str | None]:
        """A problem's detail (or title) and its ``refusal`` kind, made fit for one log line."""
        try:
            value = json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return one_line(self.body.decode("utf-8", "replace")) or f"status {self.status}", None
        if not isinstance(value, dict):
            return f"status {self.status}", None
        detail = value.get("detail") or value.get("title") or f"status {self.status}"
        refusal = value.get("refusal")
        return one_line(str(detail)), refusal if isinstance(refusal, str) else None


@dataclass(frozen=True)
class UploadAnswer:
    """The gateway's answer to an update: accepted, or refused with a reason (and its ``refusal`` kind)."""

    status: int
    accepted: bool
    reason: str | None
    refusal: str | None


class Gateway:
    """One learner's connection to a gateway. Not thread-safe, except :meth:`abort`, which may be called from any thread."""

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        ca_file: str | None = None,
        request_timeout: float = 60.0,
        connect_timeout: float = 10.0,
        poll_wait: int = 20,
        max_json_bytes: int = 1 << 20,
    ) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"the gateway must be an http:// or https:// URL (got '{url}')")
        if ca_file is not None and parsed.scheme != "https":
            raise ValueError("a CA file (ca_file) is for an https:// gateway")
        if not 1 <= poll_wait <= 30:
            raise ValueError(f"poll_wait must be 1 to 30 seconds (got {poll_wait})")
        if not api_key:
            raise ValueError("an API key is required")
        self.url = url
        self._https = parsed.scheme == "https"
        self._host = parsed.hostname
        self._port = parsed.port or (443 if self._https else 80)
        self._api_key = api_key
        self._tls: ssl.SSLContext | None = None
        if self._https:
            # With a CA file, that CA only (and the host name is still checked); else the machine's store.
            try:
                self._tls = ssl.create_default_context(cafile=ca_file)
            except (OSError, ssl.SSLError) as error:
                raise ValueError(f"cannot use '{ca_file}' as the gateway's CA: {error}") from None
        self.request_timeout = request_timeout
        self.connect_timeout = connect_timeout
        self.poll_wait = poll_wait
        self.max_json_bytes = max_json_bytes
        self._connection: http.client.HTTPConnection | None = None
        self._last_used = 0.0
        self._lock = threading.Lock()
        self._aborted = False

    # -- the protocol -------------------------------------------------------------------------

    def register(self, name: str, data_tags: list[str], cluster: str, sample_count: int, capabilities: Mapping[str, Any] | None) -> Device:
        """``POST /api/v1/devices`` with the API key: the device's id and token."""
        body: dict[str, Any] = {"name": name, "dataTags": data_tags, "cluster": cluster, "sampleCount": sample_count}
        if capabilities is not None:
            body["capabilities"] = dict(capabilities)
        answer = self._exchange(
            "POST",
            REGISTER_ROUTE,
            {"Authorization": f"Bearer {self._api_key}", "Content-Type": "application/json"},
            json.dumps(body).encode(),
            self.request_timeout,
            self.max_json_bytes,
        )
        if answer.status in (400, 401, 403):
            detail, _ = answer.problem()
            raise RegistrationRefused(f"the gateway refused the registration ({answer.status}): {detail}")
        if answer.status not in (200, 201):
            raise GatewayError(f"the registration was answered {answer.status}")
        value = answer.json()
        device_id = value.get("id") if isinstance(value, dict) else None
        token = value.get("token") if isinstance(value, dict) else None
        if not isinstance(device_id, str) or not device_id or len(device_id) > 256 or not _is_usable_token(token):
            raise GatewayError("the registration holds no usable device id or token")
        return Device(device_id, str(token))

    def next_task(self, device: Device) -> Any | None:
        """``GET tasks/next?wait=N``: the task's JSON, or None when none came within the wait (204)."""
        answer = self._device_exchange(device, "GET", f"tasks/next?wait={self.poll_wait}", None, None, self.poll_wait + self.request_timeout, self.max_json_bytes)
        if answer.status == 204:
            return None
        if answer.status != 200:
            raise GatewayError(f"tasks/next was answered {answer.status}")
        return answer.json()

    def download_model(self, device: Device, task: Task) -> bytes | None:
        """``GET models/{hash}``: exactly ``parameterCount`` float32, or None when the task is already over (404, 409, 410)."""
        size = task.parameter_count * FLOAT32_LE.itemsize
        answer = self._device_exchange(device, "GET", f"models/{_quote(task.model_hash)}", None, None, self.request_timeout, size, exact=True)
        if answer.status in (404, 409, 410):
            return None
        if answer.status != 200:
            raise GatewayError(f"models/{one_line(task.model_hash, 80)} was answered {answer.status}")
        return answer.body

    def upload_update(self, device: Device, task: Task, body: bytes, samples: int, loss: float | None) -> UploadAnswer:
        """``POST updates?task=&model=&samples=&loss=`` with the raw float32 body. 409 and 422 are refusals, final for the task."""
        query = {"task": task.task_id, "model": task.model_hash, "samples": str(samples)}
        if loss is not None:
            query["loss"] = repr(float(loss))
        answer = self._device_exchange(
            device, "POST", "updates?" + urllib.parse.urlencode(query), {"Content-Type": "application/octet-stream"}, body, self.request_timeout, self.max_json_bytes
        )
        if answer.status == 200:
            receipt = answer.json()
            if not isinstance(receipt, dict) or not isinstance(receipt.get("accepted"), bool):
                raise GatewayError("the update's receipt holds no 'accepted'")
            reason = receipt.get("reason")
            refusal = receipt.get("refusal")
            return UploadAnswer(200, receipt["accepted"], one_line(reason) if isinstance(reason, str) else None, refusal if isinstance(refusal, str) else None)
        if answer.status in (409, 422):
            detail, refusal = answer.problem()
            return UploadAnswer(answer.status, False, detail, refusal)
        raise GatewayError(f"the update of task {one_line(task.task_id, 80)} was answered {answer.status}")

    def decline(self, device: Device, task_id: str, reason: str) -> int:
        """``POST tasks/decline``: 204 when the task was taken back, 404 when it was already gone."""
        body = json.dumps({"taskId": task_id, "reason": reason}).encode()
        answer = self._device_exchange(device, "POST", "tasks/decline", {"Content-Type": "application/json"}, body, self.request_timeout, self.max_json_bytes)
        return answer.status

    # -- plumbing -----------------------------------------------------------------------------

    def abort(self) -> None:
        """Breaks off the exchange in progress, if any (a long poll), and any that follows: for a learner that is stopping."""
        with self._lock:
            self._aborted = True
            connection = self._connection
        sock = getattr(connection, "sock", None) if connection is not None else None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        with self._lock:
            connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def _device_exchange(
        self, device: Device, method: str, route: str, headers: Mapping[str, str] | None, body: bytes | None, timeout: float, max_body: int, *, exact: bool = False
    ) -> Answer:
        path = f"/api/v1/devices/{_quote(device.id)}/{route}"
        answer = self._exchange(method, path, {TOKEN_HEADER: device.token, **(headers or {})}, body, timeout, max_body, exact=exact)
        if answer.status == 401:
            raise DeviceForgotten("the gateway no longer knows this device")
        return answer

    def _exchange(self, method: str, path: str, headers: Mapping[str, str], body: bytes | None, timeout: float, max_body: int, *, exact: bool = False) -> Answer:
        deadline = time.monotonic() + timeout
        try:
            connection = self._connect(deadline)
            connection.request(method, path, body=body, headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity", **headers})
            response = connection.getresponse()
            content = self._read(connection, response, max_body, deadline, exact)
            if response.will_close:
                self.close()
            self._last_used = time.monotonic()
            return Answer(response.status, content, response.getheader("Content-Type", "") or "")
        except TaskError:
            self.close()
            raise
        except GatewayError:
            self.close()
            raise
        except socket.timeout:
            self.close()
            raise GatewayError("the gateway did not answer in time") from None
        except ssl.SSLError as error:
            self.close()
            raise GatewayError(f"the TLS handshake with the gateway failed ({one_line(str(error))})") from None
        except (OSError, http.client.HTTPException) as error:
            self.close()
            raise GatewayError(f"the gateway is unreachable ({one_line(str(error) or type(error).__name__)})") from None

    def _connect(self, deadline: float) -> http.client.HTTPConnection:
        with self._lock:
            if self._aborted:
                raise GatewayError("the learner is stopping")
            connection = self._connection
        if connection is not None and time.monotonic() - self._last_used > MAX_IDLE_SECONDS:
            # The server may have closed it meanwhile (a long local training): a request on it would fail.
            self.close()
            connection = None
        if connection is None:
            timeout = max(0.001, min(self.connect_timeout, deadline - time.monotonic()))
            if self._https:
                connection = http.client.HTTPSConnection(self._host, self._port, timeout=timeout, context=self._tls)
            else:
                connection = http.client.HTTPConnection(self._host, self._port, timeout=timeout)
            connection.connect()
            with self._lock:
                self._connection = connection
                aborted = self._aborted
            if aborted:
                raise GatewayError("the learner is stopping")
        self._set_timeout(connection, deadline)
        return connection

    def _read(self, connection: http.client.HTTPConnection, response: http.client.HTTPResponse, max_body: int, deadline: float, exact: bool) -> bytes:
        """The body, never more than ``max_body`` bytes (for a 200 with ``exact``, exactly that many), before the deadline."""
        limit = max_body if response.status == 200 or not exact else self.max_json_bytes
        declared = response.getheader("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _too_long(response.status, exact, limit, int(declared))
        chunks: list[bytes] = []
        received = 0
        while True:
            self._set_timeout(connection, deadline)
            chunk = response.read(min(1 << 16, limit + 1 - received))
            if not chunk:
                break
            chunks.append(chunk)
            received += len(chunk)
            if received > limit:
                raise _too_long(response.status, exact, limit, None)
        content = b"".join(chunks)
        if exact and response.status == 200 and len(content) != limit:
            raise TaskError(f"the model is {len(content)} bytes, not the {limit} announced")
        return content

    @staticmethod
    def _set_timeout(connection: http.client.HTTPConnection, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout()
        if connection.sock is not None:
            connection.sock.settimeout(remaining)


def _too_long(status: int, exact: bool, limit: int, declared: int | None) -> Exception:
    if exact and status == 200:
        return TaskError(f"the model is {'at least ' if declared is None else ''}{declared or limit + 1} bytes, more than the {limit} announced")
    return GatewayError(f"the gateway's answer ({status}) is longer than {limit} bytes")


def _quote(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def _is_usable_token(token: Any) -> bool:
    # A token travels in a header: anything but visible ASCII would be refused there, or worse.
    return isinstance(token, str) and 0 < len(token) <= 1024 and all(" " < c < "\x7f" for c in token)


def one_line(text: str | None, max_length: int = 300) -> str:
    """Text from the gateway made fit for one log line: no control characters, at most ``max_length`` characters."""
    if not text:
        return ""
    cleaned = "".join(" " if ord(c) < 32 or 127 <= ord(c) < 160 else c for c in text[: max_length + 1])
    return cleaned if len(cleaned) <= max_length else cleaned[:max_length] + "…"
