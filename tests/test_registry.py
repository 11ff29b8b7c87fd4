"""Camera plugins are found by name through entry points; unknown names list what is installed."""

import pytest

from camera_plugins.base import CameraUnsupported
from camera_plugins.registry import UnknownPlugin, create_camera, installed_plugins, plugin_class


def test_builtin_plugins_are_registered():
    assert {"sim", "replay"} <= set(installed_plugins())


def test_unknown_plugin_lists_installed_ones():
    with pytest.raises(UnknownPlugin) as err:
        plugin_class("kinect")
    message = str(err.value)
    assert "'kinect'" in message
    for name in installed_plugins():
        assert name in message


def test_unknown_option_is_refused_with_its_name():
    with pytest.raises(CameraUnsupported, match="no_such_option"):
        create_camera("sim", "cam1", {"no_such_option": 1})
