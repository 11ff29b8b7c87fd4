"""Vzense BaseSDK return codes (``PsReturnStatus``) and the typed camera error each becomes.

Every ``Ps2_*`` call returns an int32 status. The capture thread's recovery ladder branches on
the error's type, so the mapping decides what happens in the field: a read timeout (-11) is
retried, a lost device (-1, -13) is reopened, a wrong request (bad parameters, unsupported
feature) ends the capture because retrying cannot help.
"""

from __future__ import annotations

from camera_plugins.base import (CameraDisconnected, CameraError, CameraNotFound, CameraTimeout,
                                 CameraUnsupported)

OK = 0
READ_NEXT_FRAME_TIMEOUT = -11
ALREADY_INITIALIZED = -101

#: code → (vendor name, the vendor's meaning with what to do, error type).
STATUS_CODES: dict[int, tuple[str, str, type[CameraError]]] = {
    -1: ("PsRetNoDeviceConnected", "no depth camera is connected, or it is not connected correctly; "
         "check the cable or unplug and replug it", CameraDisconnected),
    -2: ("PsRetInvalidDeviceIndex", "the device index is invalid", CameraNotFound),
    -3: ("PsRetDevicePointerIsNull", "the device handle is null", CameraDisconnected),
    -4: ("PsRetInvalidFrameType", "the frame type is invalid", CameraUnsupported),
    -5: ("PsRetFramePointerIsNull", "the output frame buffer is null", CameraUnsupported),
    -6: ("PsRetNoPropertyValueGet", "the property value cannot be read", CameraUnsupported),
    -7: ("PsRetNoPropertyValueSet", "the property value cannot be set", CameraUnsupported),
    -8: ("PsRetPropertyPointerIsNull", "the property value buffer is null", CameraUnsupported),
    -9: ("PsRetPropertySizeNotEnough", "the property value buffer is too small", CameraUnsupported),
    -10: ("PsRetInvalidDepthRange", "the depth range is invalid for this camera", CameraUnsupported),
    -11: ("PsRetReadNextFrameTimeOut", "no frame arrived within the SDK's read timeout", CameraTimeout),
    -12: ("PsRetInputPointerIsNull", "an input pointer is null", CameraUnsupported),
    -13: ("PsRetCameraNotOpened", "the camera is not open (it may have been unplugged)", CameraDisconnected),
    -14: ("PsRetInvalidCameraType", "the camera type is invalid", CameraUnsupported),
    -15: ("PsRetInvalidParams", "one or more parameter values are invalid", CameraUnsupported),
    -16: ("PsRetCurrentVersionNotSupport", "this feature is not supported by this SDK/firmware version",
          CameraUnsupported),
    -17: ("PsRetUpgradeImgError", "the firmware upgrade file is bad", CameraUnsupported),
    -18: ("PsRetUpgradeImgPathTooLong", "the firmware upgrade path is longer than 260 characters",
          CameraUnsupported),
    -19: ("PsRetUpgradeCallbackNotSet", "Ps2_SetUpgradeStatusCallback was not called", CameraUnsupported),
    -100: ("PsRetNoAdapterConnected", "no power adapter is connected", CameraNotFound),
    -101: ("PsRetReInitialized", "the SDK was already initialised", CameraUnsupported),
    -102: ("PsRetNoInitialized", "the SDK is not initialised (Ps2_Initialize was not called)",
           CameraDisconnected),
    -103: ("PsRetCameraOpened", "the camera is already open (by this or another process)", CameraNotFound),
    -104: ("PsRetCmdError", "a set/get command to the camera failed", CameraDisconnected),
    -105: ("PsRetCmdSyncTimeOut", "the command was sent but its reply timed out; check that the 12 V "
           "adapter is powered", CameraDisconnected),
    -255: ("PsRetOthers", "an unknown error occurred in the SDK", CameraDisconnected),
}


def status_error(code: int, call: str, camera: str = "") -> CameraError:
    """The typed error for a non-zero status returned by ``call``."""
    name, meaning, kind = STATUS_CODES.get(
        code, (f"status {code}", "a status code this binding does not know", CameraDisconnected))
    where = f"dcam710 camera {camera!r}: " if camera else "dcam710: "
    error = kind(f"{where}{call} returned {code} ({name}): {meaning}")
    error.status_code = code  # type: ignore[attr-defined]
    return error


def check(code: int, call: str, camera: str = "") -> None:
    """Raise the typed error for ``code`` unless it is PsRetOK."""
    if code != OK:
        raise status_error(code, call, camera)
