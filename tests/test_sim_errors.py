"""Bad input is refused with an error naming the value and what is allowed."""

import pytest

from camera_plugins.base import CameraUnsupported
from camera_plugins.registry import create_camera
from camera_plugins.sim.camera_models import camera_model
from camera_plugins.sim.render import SimRenderer
from camera_plugins.sim.scene import FaceSpec, Lighting, Presentation, Scene


def test_unknown_camera_model():
    with pytest.raises(ValueError, match=r"camera_model 'sr400' is unknown; choose one of \['dcam710', 'sr300'\]"):
        SimRenderer("sr400")
    with pytest.raises(ValueError, match="sr400"):
        camera_model("sr400")


def test_unknown_camera_model_through_the_plugin_registry():
    with pytest.raises(CameraUnsupported) as e:
        create_camera("sim", "cam9", {"camera_model": "kinect"})
    assert "camera_model" in str(e.value) and "sr300" in str(e.value) and "cam9" in str(e.value)


def test_unknown_colour_resolution():
    with pytest.raises(ValueError, match=r"colour_resolution '1280x720'.*'1920x1080', '640x480'"):
        SimRenderer("sr300", colour_resolution="1280x720")


def test_unknown_presentation():
    with pytest.raises(ValueError, match="presentation 'photo' is unknown; choose one of: live, print_colour"):
        FaceSpec(presentation="photo")
    assert Presentation.parse("mask_3d") is Presentation.MASK_3D


def test_unknown_lighting():
    with pytest.raises(ValueError, match="lighting 'dim' is unknown; choose one of: normal, low"):
        Scene(lighting="dim")
    assert Scene(lighting="low").lighting is Lighting.LOW


@pytest.mark.parametrize("camera,distance", [("sr300", 1800.0), ("sr300", 150.0), ("dcam710", 300.0),
                                             ("dcam710", 2500.0)])
def test_distance_outside_the_working_range(camera, distance):
    with pytest.raises(ValueError, match=rf"distance_mm {distance:g} is outside the {camera}'s working range"):
        SimRenderer(camera).render(Scene((FaceSpec(distance_mm=distance),)), 0)


def test_pose_and_bend_limits():
    with pytest.raises(ValueError, match=r"yaw_deg 60.0 is outside ±45°"):
        FaceSpec(yaw_deg=60.0)
    with pytest.raises(ValueError, match="bend_mm applies to prints only, not to screen"):
        FaceSpec(presentation="screen", bend_mm=10.0)
    with pytest.raises(ValueError, match="distance_mm must be a positive"):
        FaceSpec(distance_mm=-5.0)
