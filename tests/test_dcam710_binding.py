"""Our ctypes binding of the Vzense SDK against the fake vendor library compiled from C here:
struct layouts equal the C compiler's for both ABIs, the ready bits sit where C puts them,
every status code maps to a typed error with the vendor's meaning, and a missing or wrong
library is refused with a message naming the option and the environment variable."""

from __future__ import annotations

import ctypes
import subprocess

import pytest

from camera_plugins.base import CameraDisconnected, CameraNotFound, CameraTimeout, CameraUnsupported
from camera_plugins.dcam710.binding import LIBRARY_ENV, VzenseLibrary, library_path
from camera_plugins.dcam710.enums import DataMode, FrameType
from camera_plugins.dcam710.status import STATUS_CODES, check, status_error
from camera_plugins.dcam710.structs import (ABIS, PsCameraExtrinsicParameters, PsCameraParameters,
                                            PsFrameReady)
from camera_plugins.registry import create_camera
from tests._vzense_fake import FakeControl, compile_fake, fake_camera, write_fake_frames


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    return write_fake_frames(tmp_path_factory.mktemp("dcam710_frames"), 2)


@pytest.fixture(scope="module", params=["3.5", "3.0"])
def built(request, tmp_path_factory):
    return request.param, compile_fake(tmp_path_factory.mktemp(f"fake_{request.param}"), request.param)


def _fields(struct: type[ctypes.Structure]) -> list[str]:
    return [f[0] for f in struct._fields_]


def test_struct_sizes_and_offsets_equal_the_c_layout(built, tmp_path, frames):
    abi_name, library = built
    control = FakeControl(fake_camera(tmp_path, library, frames))
    abi = ABIS[abi_name]
    structs = {"PsFrame": abi.frame, "PsDeviceInfo": abi.device_info, "PsFrameReady": PsFrameReady,
               "PsCameraParameters": PsCameraParameters, "PsCameraExtrinsicParameters": PsCameraExtrinsicParameters}
    expected_sizes = {"3.5": {"PsFrame": 53, "PsDeviceInfo": 398}, "3.0": {"PsFrame": 37, "PsDeviceInfo": 318}}
    for name, struct in structs.items():
        assert ctypes.sizeof(struct) == control.sizeof(name), name
    for name, size in expected_sizes[abi_name].items():
        assert control.sizeof(name) == size
    checked = 0
    for name, struct in structs.items():
        for field in _fields(struct):
            c_offset = control.offsetof(name, field)
            if c_offset >= 0:  # the fake exports the offsets of every field a layout error would move
                assert getattr(struct, field).offset == c_offset, f"{name}.{field}"
                checked += 1
    assert checked >= 20
    assert abi.frame.pFrameData.offset == 13  # unaligned, as #pragma pack(1) puts it


def test_ready_bits_are_read_where_c_writes_them(tmp_path, frames, built):
    abi_name, library = built
    path = fake_camera(tmp_path, library, frames)
    control = FakeControl(path)
    sdk = VzenseLibrary(path, ABIS[abi_name])
    assert sdk.initialize() == 0
    handle = sdk.open_device(sdk.device_list(sdk.device_count())[0].uri)
    sdk.start_stream(handle)
    sdk.set_data_mode(handle, DataMode.DepthAndRGB_30)
    sdk.set_mapped_depth(handle, True)
    ready = sdk.read_next_frame(handle)
    assert int.from_bytes(bytes(ready), "little") == control.last_ready_bits() == 0b10101
    assert [t for t in FrameType if ready.is_ready(t)] == [FrameType.Depth, FrameType.RGB, FrameType.MappedDepth]
    sdk.close_device(handle)
    if ABIS[abi_name].close_takes_pointer:
        assert handle.value is None  # 3.5.x clears the caller's handle
    sdk.shutdown()


def test_every_status_code_maps_to_a_typed_error_with_the_vendors_meaning():
    assert isinstance(status_error(-11, "Ps2_ReadNextFrame"), CameraTimeout)
    assert isinstance(status_error(-1, "Ps2_ReadNextFrame"), CameraDisconnected)
    assert isinstance(status_error(-13, "Ps2_GetFrame"), CameraDisconnected)
    assert isinstance(status_error(-103, "Ps2_OpenDevice"), CameraNotFound)
    assert isinstance(status_error(-15, "Ps2_SetDataMode"), CameraUnsupported)
    assert "12 V" in str(status_error(-105, "Ps2_SetDataMode"))
    for code, (name, meaning, kind) in STATUS_CODES.items():
        error = status_error(code, "Ps2_Call")
        assert type(error) is kind and error.status_code == code
        assert name in str(error) and meaning in str(error) and f"returned {code}" in str(error)
    unknown = status_error(-77, "Ps2_Call")
    assert isinstance(unknown, CameraDisconnected) and "does not know" in str(unknown)
    check(0, "Ps2_Call")  # OK raises nothing
    for required in (0, -1, -11, -13, -101, -102, -103, -105, -255):
        assert required in STATUS_CODES or required == 0


def test_a_missing_library_names_the_option_and_the_environment_variable(monkeypatch, tmp_path):
    monkeypatch.delenv(LIBRARY_ENV, raising=False)
    with pytest.raises(CameraNotFound) as unset:
        library_path(None, ABIS["3.5"])
    assert "sdk_library" in str(unset.value) and LIBRARY_ENV in str(unset.value)
    assert "libvzense_api.so" in str(unset.value)
    monkeypatch.setenv(LIBRARY_ENV, str(tmp_path / "nowhere.so"))
    camera = create_camera("dcam710", "cam1")
    with pytest.raises(CameraNotFound) as missing:
        camera.open()
    assert "nowhere.so" in str(missing.value) and LIBRARY_ENV in str(missing.value)
    camera.close()


def test_a_library_without_the_sdk_symbols_is_refused(tmp_path):
    source = tmp_path / "other.c"
    source.write_text("int unrelated(void) { return 0; }\n")
    library = tmp_path / "libother.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
    with pytest.raises(CameraNotFound, match="has no symbol Ps2_Initialize"):
        create_camera("dcam710", "cam1", {"sdk_library": str(library)}).open()
