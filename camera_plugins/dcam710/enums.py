"""The DCAM710's values of the Vzense SDK enums (``Vzense_enums_710.h``).

The values are model-specific (0 is DepthAndRGB_30 here but Depth_30 on other Vzense models),
so these tables are the DCAM710's only and never shared with another model's plugin.
"""

from __future__ import annotations

import enum


class DataMode(enum.IntEnum):
    """What the camera streams. There is no depth-only or IR-only mode on the DCAM710."""

    DepthAndRGB_30 = 0
    IRAndRGB_30 = 1
    DepthAndIR_30 = 2
    #: Depth and IR alternate (15 fps each), RGB at 30 fps.
    DepthAndIR_15_RGB_30 = 10
    WDR_Depth = 11


class FrameType(enum.IntEnum):
    Depth = 0
    IR = 1
    RGB = 3
    #: Colour resampled into the depth geometry (Ps2_SetMapperEnabledDepthToRGB).
    MappedRGB = 4
    #: Depth resampled into the colour geometry (Ps2_SetMapperEnabledRGBToDepth): names are inverted.
    MappedDepth = 5
    MappedIR = 6
    WDRDepth = 9


class PixelFormat(enum.IntEnum):
    DepthMM16 = 0
    Gray16 = 1
    Gray8 = 2
    RGB888 = 3
    BGR888 = 4


class DepthRange(enum.IntEnum):
    """Datasheet ranges: Near 0.35–1.5 m, Mid 0.5–2.8 m, Far 0.8–4.4 m."""

    Near = 0
    Mid = 1
    Far = 2


class SensorType(enum.IntEnum):
    Depth = 1
    RGB = 2


class RGBResolution(enum.IntEnum):
    """``PsResolution``: the colour sizes the DCAM710 offers."""

    R1920x1080 = 0
    R1280x720 = 1
    R640x480 = 2
    R640x360 = 3


RGB_RESOLUTIONS: dict[str, RGBResolution] = {
    "1920x1080": RGBResolution.R1920x1080, "1280x720": RGBResolution.R1280x720,
    "640x480": RGBResolution.R640x480, "640x360": RGBResolution.R640x360,
}

#: ``PsConnectStatus`` value of a device that is plugged in and not yet opened.
CONNECT_STATUS_CONNECTED = 2
#: ``PsDeviceType`` of the DCAM710.
DEVICE_TYPE_DCAM710 = 710
