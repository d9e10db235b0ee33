"""flops_learner.run against a scripted gateway on loopback: the protocol as the learner speaks it."""

from __future__ import annotations

import json
import threading
import time
import unittest
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

import flops_learner
from flops_learner import Config, Metrics, NumPyClient, RegistrationRefused, TaskOutcome

from .test_task import task_json


class FakeGateway:
    """Answers the learner routes from a script: ``tasks`` and ``uploads`` are answered in order, then 204 and 200."""

    def __init__(self) -> None:
        self.tasks: list[tuple[int, Any]] = []
        self.uploads: list[tuple[int, Any]] = []
        self.register_status = 201
        self.model = np.arange(8, dtype="<f4").tobytes()
        self.received_updates: list[tuple[dict[str, str], bytes]] = []
        self.declines: list[dict[str, Any]] = []
        self.registrations: list[dict[str, Any]] = []
        self.tokens_seen: list[str | None] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                path, _, query = self.path.partition("?")
                if path == "/api/v1/devices":
                    with gateway.lock:
                        gateway.registrations.append(json.loads(body))
                    self.answer(gateway.register_status, {"id": "d-1", "token": "t-1"} if gateway.register_status == 201 else {"detail": "wrong key"})
                elif path.endswith("/updates"):
                    with gateway.lock:
                        gateway.received_updates.append((dict(urllib.parse.parse_qsl(query)), body))
                        status, answer = gateway.uploads.pop(0) if gateway.uploads else (200, {"accepted": True})
                    self.answer(status, answer)
                elif path.endswith("/tasks/decline"):
                    with gateway.lock:
                        gateway.declines.append(json.loads(body))
                    self.answer(204, None)
                else:
                    self.answer(404, {"detail": "no such route"})

            def do_GET(self) -> None:
                path, _, query = self.path.partition("?")
                with gateway.lock:
                    gateway.tokens_seen.append(self.headers.get("X-Device-Token"))
                if path.endswith("/tasks/next"):
                    with gateway.lock:
                        scripted = gateway.tasks.pop(0) if gateway.tasks else None
                    if scripted is None:
                        # A long poll: hold it for the wait asked for, then "nothing".
                        time.sleep(float(dict(urllib.parse.parse_qsl(query))["wait"]))
                        self.answer(204, None)
                    else:
                        self.answer(*scripted)
                elif "/models/" in path:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(len(gateway.model)))
                    self.end_headers()
                    self.wfile.write(gateway.model)
                else:
                    self.answer(404, {"detail": "no such route"})

            def answer(self, status: int, value: Any) -> None:
                body = b"" if value is None else json.dumps(value).encode()
                self.send_response(status)
                if body:
                    self.send_header("Content-Type", "application/problem+json" if status >= 400 else "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    @contextmanager
    def serving(self) -> Iterator[FakeGateway]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()


class AddOne(NumPyClient):
    """Adds 1 to every parameter: an update anyone can check."""

    def __init__(self, shapes: list[tuple[int, ...]] | None = None) -> None:
        self.shapes = shapes or [(2, 3), (2,)]
        self.fitted: list[Config] = []

    def get_parameters(self, config: Config) -> list[np.ndarray]:
        return [np.zeros(shape, dtype=np.float32) for shape in self.shapes]

    def fit(self, parameters: list[np.ndarray], config: Config) -> tuple[list[np.ndarray], int, Metrics]:
        self.fitted.append(config)
        return [p + 1 for p in parameters], 42, {"loss": 0.25}


class RunTests(unittest.TestCase):
    def run_learner(self, gateway: FakeGateway, client: NumPyClient, stop_on: str | None = None, **options: Any) -> tuple[list[str], list[TaskOutcome]]:
        lines: list[str] = []
        outcomes: list[TaskOutcome] = []
        stop = threading.Event()

        def record(outcome: TaskOutcome) -> None:
            outcomes.append(outcome)
            if outcome.outcome == stop_on:
                stop.set()

        settings: dict[str, Any] = {"poll_wait": 1, "min_backoff": 0.01, "max_backoff": 0.05, "handle_signals": False}
        settings.update(options)
        flops_learner.run(gateway.url, "key", client, sample_count=42, name="test", stop=stop, log=lines.append, on_outcome=record, **settings)
        return lines, outcomes

    def test_a_task_is_trained_from_the_downloaded_model_and_its_update_uploaded_in_layout_order(self) -> None:
        with FakeGateway().serving() as gateway:
            gateway.tasks.append((200, task_json(momentum=0.9)))
            client = AddOne()

            lines, outcomes = self.run_learner(gateway, client, max_tasks=1)

        self.assertEqual({"name": "test", "dataTags": ["mnist"], "cluster": "default", "sampleCount": 42}, {k: v for k, v in gateway.registrations[0].items() if k != "capabilities"})
        self.assertEqual(["t-1"], list(set(gateway.tokens_seen)))
        query, body = gateway.received_updates[0]
        self.assertEqual({"task": "p-1/2", "model": "abc", "samples": "42", "loss": "0.25"}, query)
        np.testing.assert_array_equal(np.arange(8) + 1, np.frombuffer(body, dtype="<f4"))
        self.assertEqual(0.9, client.fitted[0]["momentum"])
        self.assertEqual("accepted", outcomes[0].outcome)
        self.assertIn("task p-1/2 (round 2): trained on 42 samples, loss 0.2500, update accepted", lines)
        self.assertEqual("registered as d-1 with 42 samples, tags mnist", lines[0])

    def test_a_5xx_on_the_upload_is_tried_again_with_the_same_update(self) -> None:
        with FakeGateway().serving() as gateway:
            gateway.tasks.append((200, task_json()))
            gateway.uploads.append((503, {"detail": "busy"}))

            lines, outcomes = self.run_learner(gateway, AddOne(), max_tasks=1)

        self.assertEqual(2, len(gateway.received_updates))
        self.assertEqual(gateway.received_updates[0], gateway.received_updates[1])
        self.assertTrue(any("was answered 503; trying the upload again" in line for line in lines), lines)
        self.assertEqual("accepted", outcomes[0].outcome)

    def test_a_422_is_final_and_the_task_is_given_back_so_its_round_need_not_wait(self) -> None:
        with FakeGateway().serving() as gateway:
            gateway.tasks.append((200, task_json()))
            gateway.uploads.append((422, {"title": "Update refused", "detail": "expected 8 parameters, got 9", "refusal": "malformed"}))

            lines, outcomes = self.run_learner(gateway, AddOne(), max_tasks=1)

        self.assertEqual(1, len(gateway.received_updates))
        self.assertEqual(("refused", 422, "malformed"), (outcomes[0].outcome, outcomes[0].status, outcomes[0].refusal))
        self.assertIn("task p-1/2 (round 2): trained on 42 samples, loss 0.2500, update refused (422): expected 8 parameters, got 9", lines)
        self.assertEqual("p-1/2", gateway.declines[0]["taskId"])
        self.assertIn("malformed", gateway.declines[0]["reason"])

    def test_a_task_whose_layout_is_not_the_clients_is_declined_before_its_model_is_trained(self) -> None:
        with FakeGateway().serving() as gateway:
            gateway.tasks.append((200, task_json()))
            client = AddOne(shapes=[(3, 2), (2,)])

            lines, outcomes = self.run_learner(gateway, client, stop_on="declined")

        self.assertEqual([], client.fitted)
        self.assertEqual([], gateway.received_updates)
        reason = gateway.declines[0]["reason"]
        self.assertIn("the task's layout does not fit the local model", reason)
        self.assertIn("[3, 2]", reason)
        self.assertEqual("declined", outcomes[0].outcome)

    def test_a_malformed_task_is_declined_naming_the_field(self) -> None:
        with FakeGateway().serving() as gateway:
            gateway.tasks.append((200, task_json(batchSize=0)))

            self.run_learner(gateway, AddOne(), stop_on="declined")

        self.assertIn("batchSize must be between 1", gateway.declines[0]["reason"])

    def test_a_registration_the_gateway_refuses_stops_the_learner(self) -> None:
        with FakeGateway().serving() as gateway:
            gateway.register_status = 401

            with self.assertRaises(RegistrationRefused) as raised:
                self.run_learner(gateway, AddOne())

        self.assertIn("(401): wrong key", str(raised.exception))

    def test_a_401_on_a_device_route_registers_again(self) -> None:
        with FakeGateway().serving() as gateway:
            gateway.tasks += [(401, {"detail": "who?"}), (200, task_json())]

            lines, _ = self.run_learner(gateway, AddOne(), max_tasks=1)

        self.assertEqual(2, len(gateway.registrations))
        self.assertTrue(any("no longer knows this device" in line for line in lines), lines)

    def test_stop_breaks_off_a_long_poll(self) -> None:
        with FakeGateway().serving() as gateway:
            stop = threading.Event()
            lines: list[str] = []
            learner = threading.Thread(
                target=flops_learner.run, args=(gateway.url, "key", AddOne()), kwargs={"sample_count": 1, "stop": stop, "poll_wait": 30, "log": lines.append}
            )
            learner.start()
            while not gateway.tokens_seen:  # the first long poll has started
                time.sleep(0.01)

            stop.set()
            learner.join(timeout=10)

            self.assertFalse(learner.is_alive(), "the learner did not stop within 10 s of a 30 s long poll")
            self.assertEqual("stopped after 0 rounds", lines[-1])

    def test_back_off_doubles_to_its_cap_with_jitter(self) -> None:
        backoff = flops_learner.Backoff(1.0, 4.0)

        pauses = [backoff.next() for _ in range(5)]
        backoff.reset()

        for pause, base in zip(pauses, [1, 2, 4, 4, 4]):
            self.assertTrue(base / 2 <= pause <= base, (pause, base))
        self.assertLessEqual(backoff.next(), 1.0)


if __name__ == "__main__":
    unittest.main()
