"""The ``sim`` camera: a physically grounded simulator of the SR300 and DCAM710 cameras.

``SimCamera`` is the plugin (entry point ``sim``); ``SimRenderer`` renders scenes directly;
``scene`` describes what is in front of the camera, ``scenarios`` scripts it over time.
"""

from camera_plugins.sim.plugin import SimCamera, SimOptions

__all__ = ["SimCamera", "SimOptions"]
