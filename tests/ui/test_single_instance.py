"""A second start on the same cache hands its arguments to the running app."""

from __future__ import annotations

import os
import uuid

from pytestqt.qtbot import QtBot

from app.ui.single_instance import InstanceServer, hand_over, instance_name


def test_names_differ_per_cache_and_are_stable() -> None:
    assert instance_name("/tmp/a.sqlite3") == instance_name("/tmp/a.sqlite3")
    assert instance_name("/tmp/a.sqlite3") != instance_name("/tmp/b.sqlite3")


def test_a_second_start_reaches_the_first(qtbot: QtBot) -> None:
    name = f"tapeview-test-{uuid.uuid4().hex[:12]}"
    assert not hand_over(name, ["nobody listens"])
    server = InstanceServer(name)
    assert server.listen()
    try:
        with qtbot.waitSignal(server.received, timeout=5000) as received:
            assert hand_over(name, ["tapeview://session/3eacb077?t=12", "/tmp/x.json"])
        assert received.args == [["tapeview://session/3eacb077?t=12", "/tmp/x.json"]]
        with qtbot.waitSignal(server.received, timeout=5000) as received:
            assert hand_over(name, [])
        assert received.args == [[]]
    finally:
        server.close()


def test_a_socket_left_by_a_crash_is_taken_over(qtbot: QtBot) -> None:
    name = f"tapeview-test-{uuid.uuid4().hex[:12]}"
    first = InstanceServer(name)
    assert first.listen()
    # A crashed app leaves its socket file behind; closing without removing it stands in.
    path = first._server.fullServerName()
    first._server.close()
    with open(path, "w"):
        pass
    assert os.path.exists(path)
    second = InstanceServer(name)
    assert second.listen()
    with qtbot.waitSignal(second.received, timeout=5000):
        assert hand_over(name, ["x"])
    second.close()
