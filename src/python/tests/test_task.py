"""Tasks as the gateway sends them: parsing, the layout, and the float32 vector."""

from __future__ import annotations

import unittest
from typing import Any

import numpy as np

from flops_learner import Task, TaskError, decode_parameters, encode_parameters, split


def task_json(**overrides: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "taskId": "p-1/2",
        "projectId": "p-1",
        "round": 2,
        "modelHash": "abc",
        "parameterCount": 8,
        "model": {"kind": "softmax", "inputs": 3, "classes": 2, "hiddenUnits": None},
        "localEpochs": 1,
        "batchSize": 16,
        "learningRate": 0.5,
        "proximalMu": 0.0,
        "seed": 7,
        "layout": [{"name": "W", "shape": [2, 3]}, {"name": "b", "shape": [2]}],
    }
    value.update(overrides)
    return value


class TaskTests(unittest.TestCase):
    def test_a_task_gives_its_settings_and_layout_to_the_client_as_config(self) -> None:
        task = Task.from_json(task_json(somethingNew={"x": 1}))

        config = task.config()

        self.assertEqual(["W", "b"], config["layout_names"])
        self.assertEqual([(2, 3), (2,)], config["layout_shapes"])
        self.assertEqual((1, 16, 0.5, 0.0, 7, 2), (config["local_epochs"], config["batch_size"], config["learning_rate"], config["proximal_mu"], config["seed"], config["round"]))
        self.assertNotIn("momentum", config)
        self.assertEqual({"x": 1}, task.raw["somethingNew"])

    def test_momentum_is_passed_on_when_the_task_sets_it(self) -> None:
        self.assertEqual(0.9, Task.from_json(task_json(momentum=0.9)).config()["momentum"])

    def test_a_task_without_a_layout_is_refused_and_can_still_be_declined_by_id(self) -> None:
        value = task_json()
        del value["layout"]

        with self.assertRaises(TaskError) as raised:
            Task.from_json(value)

        self.assertIn("no layout", raised.exception.reason)
        self.assertEqual(("p-1/2", 2), (raised.exception.task_id, raised.exception.round))

    def test_fields_that_do_not_hold_together_are_refused_naming_the_field(self) -> None:
        cases = {
            "parameterCount is 9": task_json(parameterCount=9),
            "localEpochs must be a whole number": task_json(localEpochs=True),
            "batchSize must be between 1": task_json(batchSize=0),
            "learningRate must be a finite positive number": task_json(learningRate=-1),
            "learningRate must be a finite number": task_json(learningRate=1e39),
            "names the tensor 'W' twice": task_json(layout=[{"name": "W", "shape": [4]}, {"name": "W", "shape": [4]}]),
            "the task has no modelHash": task_json(modelHash=""),
            "layout[0].shape": task_json(layout=[{"name": "W", "shape": [-8]}]),
        }
        for expected, value in cases.items():
            with self.subTest(expected), self.assertRaises(TaskError) as raised:
                Task.from_json(value)
            self.assertIn(expected, raised.exception.reason)

    def test_the_vector_is_cut_by_the_layout_in_row_major_order_and_put_back_the_same(self) -> None:
        task = Task.from_json(task_json())
        body = np.arange(8, dtype="<f4").tobytes()

        weights, bias = split(task, decode_parameters(body, 8))

        np.testing.assert_array_equal([[0, 1, 2], [3, 4, 5]], weights)
        np.testing.assert_array_equal([6, 7], bias)
        self.assertEqual(body, encode_parameters(task, [weights, bias.astype(np.float64)]))

    def test_an_update_of_another_shape_is_not_encoded(self) -> None:
        task = Task.from_json(task_json())

        with self.assertRaises(TaskError) as raised:
            encode_parameters(task, [np.zeros((3, 2)), np.zeros(2)])

        self.assertIn("has shape [3, 2] but the task's tensor W has [2, 3]", raised.exception.reason)

    def test_a_model_of_another_length_is_refused(self) -> None:
        with self.assertRaises(TaskError):
            decode_parameters(b"\0" * 28, 8)


if __name__ == "__main__":
    unittest.main()
