/*
 * A stand-in for the Vzense BaseSDK's libvzense_api.so (DCAM710), for tests without the camera.
 *
 * It exports the Ps2_* calls the dcam710 plugin uses, with the vendor's packed structs (3.5.x
 * layout; 3.0.0.x with -DFAKE_ABI_30), and serves frames the test rendered with the simulator:
 * $FAKE_VZENSE_DIR (default: the folder "frames" next to this library) holds meta.txt ("count colour_width colour_height"), depth.bin and ir.bin
 * (uint16, 640x480, 0xFFFF = no depth), rgb.bin (BGR), mapped.bin and mapped_ir.bin (uint16
 * depth and IR in colour geometry) and params.bin (depth and RGB PsCameraParameters, then the extrinsics).
 * Like the SDK it honours the data mode (ready bits; depth and IR alternate in mode 10), keeps
 * frame data in its own buffers that the next read overwrites, returns -11 when not streaming,
 * and on demand stalls (-11) or loses the device (-1) and comes back later.
 * fake_sizeof / fake_offsetof let a test compare the binding's ctypes layout with this one.
 * Compiled by the tests with gcc; never committed as a binary.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <libgen.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#pragma pack(push, 1)
typedef struct {
    uint32_t depth : 1, ir : 1, rgb : 1, mappedRGB : 1, mappedDepth : 1, mappedIR : 1, confidence : 1,
        wdrDepth : 1, reserved : 24;
} PsFrameReady;
typedef struct { uint16_t tm_sec, tm_min, tm_hour, tm_msec; } PsTimestamp;
typedef struct {
    uint32_t frameIndex; int32_t frameType; int32_t pixelFormat; uint8_t imuFrameNo;
    uint8_t *pFrameData; uint32_t dataLen; float exposureTime; int32_t depthRange;
    uint16_t width, height;
#ifndef FAKE_ABI_30
    PsTimestamp timestamp; uint64_t hardwaretimestamp;
#endif
} PsFrame;
typedef struct {
    int32_t SessionCount; int32_t devicetype; char uri[256]; char fw[50];
#ifndef FAKE_ABI_30
    char alias[64];
#endif
    int32_t status;
#ifndef FAKE_ABI_30
    char ip[16];
#endif
} PsDeviceInfo;
typedef struct { double fx, fy, cx, cy, k1, k2, p1, p2, k3, k4, k5, k6; } PsCameraParameters;
typedef struct { double rotation[9]; double translation[3]; } PsCameraExtrinsicParameters;
#pragma pack(pop)

typedef void *PsDeviceHandle;
enum { W = 640, H = 480, DEPTH_T = 0, IR_T = 1, RGB_T = 3, MAPPED_DEPTH_T = 5, MAPPED_IR_T = 6, WDR_T = 9 };
static const char *URI = "USB#fake-dcam710#1-1.2";

static struct {
    int initialized, open, streaming, mode, range, sync, mapped_depth, map_ir, colour_format;
    int count, cw, ch;
    uint16_t *depth, *ir, *mapped, *mapped_ir; uint8_t *rgb;
    PsCameraParameters params[2]; PsCameraExtrinsicParameters extrinsics;
    /* The SDK's own buffers, overwritten by every read. */
    uint16_t out_depth[W * H], out_ir[W * H], *out_mapped, *out_mapped_ir; uint8_t *out_rgb;
    uint32_t served; PsFrameReady ready; double next_due_s;
} S;
static int token;
/* The world outside the SDK (cable, faults): survives Ps2_Shutdown and Ps2_Initialize. */
static long unplug_after = -1, unplug_ms, stall_reads;
static double fps, back_at_s;
static int environment_read;

static double now_s(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static void sleep_s(double s) { if (s > 0) { struct timespec t = {(time_t)s, (long)((s - (time_t)s) * 1e9)}; nanosleep(&t, NULL); } }
/* Only a variable that is set replaces what a test's control call chose. */
static long env_long(const char *name, long current) { const char *v = getenv(name); return v ? atol(v) : current; }
static int present(void) { return S.count > 0 && now_s() >= back_at_s; }

static void *load(const char *dir, const char *name, size_t bytes) {
    char path[4096]; snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb"); void *data = malloc(bytes);
    size_t got = f ? fread(data, 1, bytes, f) : 0;
    if (f) fclose(f);
    if (got != bytes) { free(data); return NULL; }
    return data;
}

static void load_frames(void) {
    static char beside[4096];
    const char *dir = getenv("FAKE_VZENSE_DIR"); char path[4096], here[4096]; FILE *meta; Dl_info self;
    S.count = 0;
    if (!dir) { /* each test's private copy of the library sits next to its own frames */
        if (!dladdr((void *)load_frames, &self) || !self.dli_fname) return;
        snprintf(here, sizeof here, "%s", self.dli_fname);
        snprintf(beside, sizeof beside, "%s/frames", dirname(here));
        dir = beside;
    }
    snprintf(path, sizeof path, "%s/meta.txt", dir);
    if (!(meta = fopen(path, "r"))) return;
    int ok = fscanf(meta, "%d %d %d", &S.count, &S.cw, &S.ch) == 3;
    fclose(meta);
    size_t n = ok ? (size_t)S.count : 0, colour = (size_t)S.cw * S.ch;
    S.depth = load(dir, "depth.bin", n * W * H * 2); S.ir = load(dir, "ir.bin", n * W * H * 2);
    S.rgb = load(dir, "rgb.bin", n * colour * 3); S.mapped = load(dir, "mapped.bin", n * colour * 2);
    S.mapped_ir = load(dir, "mapped_ir.bin", n * colour * 2);
    void *params = load(dir, "params.bin", 3 * 96);
    if (!n || !S.depth || !S.ir || !S.rgb || !S.mapped || !S.mapped_ir || !params) { S.count = 0; free(params); return; }
    memcpy(S.params, params, 192); memcpy(&S.extrinsics, (char *)params + 192, 96); free(params);
    S.out_mapped = malloc(colour * 2); S.out_mapped_ir = malloc(colour * 2); S.out_rgb = malloc(colour * 3);
}

static int check_handle(PsDeviceHandle h) {
    if (!S.initialized) return -102;
    if (h != &token || !S.open) return -13;
    return 0;
}

/* ---- control and layout helpers for the tests ---- */
void fake_unplug_after(long frames, long ms) { unplug_after = frames; unplug_ms = ms; }
void fake_stall(long reads) { stall_reads = reads; }
void fake_set_fps(double frames_per_s) { fps = frames_per_s; }
uint32_t fake_last_ready_bits(void) { uint32_t bits; memcpy(&bits, &S.ready, 4); return bits; }

#define FIELD(T, F) if (!strcmp(type, #T) && !strcmp(field, #F)) return (long)offsetof(T, F)
long fake_sizeof(const char *type) {
    if (!strcmp(type, "PsFrame")) return sizeof(PsFrame);
    if (!strcmp(type, "PsFrameReady")) return sizeof(PsFrameReady);
    if (!strcmp(type, "PsDeviceInfo")) return sizeof(PsDeviceInfo);
    if (!strcmp(type, "PsCameraParameters")) return sizeof(PsCameraParameters);
    if (!strcmp(type, "PsCameraExtrinsicParameters")) return sizeof(PsCameraExtrinsicParameters);
    return -1;
}
long fake_offsetof(const char *type, const char *field) {
    FIELD(PsFrame, frameIndex); FIELD(PsFrame, frameType); FIELD(PsFrame, pixelFormat); FIELD(PsFrame, imuFrameNo);
    FIELD(PsFrame, pFrameData); FIELD(PsFrame, dataLen); FIELD(PsFrame, exposureTime); FIELD(PsFrame, depthRange);
    FIELD(PsFrame, width); FIELD(PsFrame, height);
#ifndef FAKE_ABI_30
    FIELD(PsFrame, timestamp); FIELD(PsFrame, hardwaretimestamp);
    FIELD(PsDeviceInfo, alias); FIELD(PsDeviceInfo, ip);
#endif
    FIELD(PsDeviceInfo, SessionCount); FIELD(PsDeviceInfo, devicetype); FIELD(PsDeviceInfo, uri);
    FIELD(PsDeviceInfo, fw); FIELD(PsDeviceInfo, status);
    FIELD(PsCameraParameters, fx); FIELD(PsCameraParameters, cy); FIELD(PsCameraParameters, k1);
    FIELD(PsCameraParameters, k6);
    FIELD(PsCameraExtrinsicParameters, rotation); FIELD(PsCameraExtrinsicParameters, translation);
    return -1;
}

/* ---- the SDK ---- */
int Ps2_Initialize(void) {
    if (S.initialized) return -101;
    memset(&S, 0, sizeof S);
    load_frames();
    if (!environment_read) {
        unplug_after = env_long("FAKE_VZENSE_UNPLUG_AFTER", unplug_after);
        unplug_ms = env_long("FAKE_VZENSE_UNPLUG_MS", unplug_ms);
        fps = (double)env_long("FAKE_VZENSE_FPS", (long)fps);
        environment_read = 1;
    }
    S.colour_format = 3; /* the SDK's default is RGB888: the plugin must ask for BGR888 */
    S.initialized = 1;
    return 0;
}

int Ps2_Shutdown(void) {
    if (!S.initialized) return -102;
    free(S.depth); free(S.ir); free(S.rgb); free(S.mapped); free(S.mapped_ir);
    free(S.out_mapped); free(S.out_mapped_ir); free(S.out_rgb);
    memset(&S, 0, sizeof S);
    return 0;
}

int Ps2_GetDeviceCount(uint32_t *count) {
    if (!S.initialized) return -102;
    if (!count) return -12;
    *count = present() ? 1 : 0;
    return 0;
}

int Ps2_GetDeviceListInfo(PsDeviceInfo *list, uint32_t n) {
    if (!S.initialized) return -102;
    if (!list) return -12;
    if (n < 1 || !present()) return -1;
    memset(list, 0, sizeof *list);
    list->SessionCount = 1; list->devicetype = 710; list->status = S.open ? 3 : 2;
    strcpy(list->uri, URI); strcpy(list->fw, "DCAM710_c086_pc_sv1.1.3.4_20210608");
#ifndef FAKE_ABI_30
    strcpy(list->alias, "PD71FAKE0001");
#endif
    return 0;
}

int Ps2_OpenDevice(const char *uri, PsDeviceHandle *h) {
    if (!S.initialized) return -102;
    if (!uri || !h) return -12;
    if (!present() || strcmp(uri, URI)) return -1;
    if (S.open) return -103;
    S.open = 1; *h = &token;
    return 0;
}

#ifdef FAKE_ABI_30
int Ps2_CloseDevice(PsDeviceHandle h) {
    int rc = check_handle(h);
    if (rc) return rc;
    S.open = S.streaming = 0;
    return 0;
}
#else
int Ps2_CloseDevice(PsDeviceHandle *h) {
    if (!h) return -12;
    int rc = check_handle(*h);
    if (rc) return rc;
    S.open = S.streaming = 0; *h = NULL;
    return 0;
}
#endif

int Ps2_StartStream(PsDeviceHandle h, uint32_t session) {
    int rc = check_handle(h);
    if (rc || session) return rc ? rc : -15;
    S.streaming = 1; S.next_due_s = now_s();
    return 0;
}

int Ps2_StopStream(PsDeviceHandle h, uint32_t session) {
    int rc = check_handle(h);
    if (rc) return rc;
    S.streaming = 0;
    return 0;
}

int Ps2_SetDataMode(PsDeviceHandle h, uint32_t s, int32_t mode) {
    int rc = check_handle(h);
    if (rc) return rc;
    if (mode != 0 && mode != 1 && mode != 2 && mode != 10 && mode != 11) return -15;
    S.mode = mode;
    return 0;
}

int Ps2_SetDepthRange(PsDeviceHandle h, uint32_t s, int32_t range) {
    int rc = check_handle(h);
    if (rc) return rc;
    if (range < 0 || range > 2) return -10;
    S.range = range;
    return 0;
}

int Ps2_SetSynchronizeEnabled(PsDeviceHandle h, uint32_t s, uint8_t on) { int rc = check_handle(h); if (!rc) S.sync = on; return rc; }
int Ps2_SetMapperEnabledRGBToDepth(PsDeviceHandle h, uint32_t s, uint8_t on) { int rc = check_handle(h); if (!rc) S.mapped_depth = on; return rc; }
int Ps2_SetMapperEnabledRGBToIR(PsDeviceHandle h, uint32_t s, uint8_t on) { int rc = check_handle(h); if (!rc) S.map_ir = on; return rc; }

int Ps2_SetColorPixelFormat(PsDeviceHandle h, uint32_t s, int32_t format) {
    int rc = check_handle(h);
    if (rc) return rc;
    if (format != 3 && format != 4) return -15;
    S.colour_format = format;
    return 0;
}

int Ps2_SetRGBResolution(PsDeviceHandle h, uint32_t s, int32_t resolution) {
    static const int sizes[4][2] = {{1920, 1080}, {1280, 720}, {640, 480}, {640, 360}};
    int rc = check_handle(h);
    if (rc) return rc;
    if (resolution < 0 || resolution > 3) return -15;
    /* The fake serves one rendered resolution. */
    if (sizes[resolution][0] != S.cw || sizes[resolution][1] != S.ch) return -16;
    return 0;
}

int Ps2_GetCameraParameters(PsDeviceHandle h, uint32_t s, int32_t sensor, PsCameraParameters *p) {
    int rc = check_handle(h);
    if (rc) return rc;
    if (!p) return -12;
    if (sensor != 1 && sensor != 2) return -14;
    *p = S.params[sensor - 1];
    return 0;
}

int Ps2_GetCameraExtrinsicParameters(PsDeviceHandle h, uint32_t s, PsCameraExtrinsicParameters *p) {
    int rc = check_handle(h);
    if (rc) return rc;
    if (!p) return -12;
    *p = S.extrinsics;
    return 0;
}

int Ps2_ReadNextFrame(PsDeviceHandle h, uint32_t s, PsFrameReady *ready) {
    int rc = check_handle(h);
    if (rc) return rc;
    if (!ready) return -12;
    memset(ready, 0, sizeof *ready); memset(&S.ready, 0, sizeof S.ready);
    if (!S.streaming) { sleep_s(0.02); return -11; }
    if (stall_reads > 0) { stall_reads--; sleep_s(0.02); return -11; }
    if (unplug_after >= 0 && (long)S.served >= unplug_after) {
        /* The cable is pulled: the handle dies and the device is gone for unplug_ms. */
        unplug_after = -1; S.open = S.streaming = 0;
        back_at_s = now_s() + unplug_ms / 1000.0;
        return -1;
    }
    if (fps > 0) { sleep_s(S.next_due_s - now_s()); S.next_due_s += 1.0 / fps; }
    size_t k = S.served % S.count, colour = (size_t)S.cw * S.ch;
    int depth = S.mode == 0 || S.mode == 2 || (S.mode == 10 && S.served % 2 == 0);
    int ir = S.mode == 1 || S.mode == 2 || (S.mode == 10 && S.served % 2 == 1);
    int rgb = S.mode == 0 || S.mode == 1 || S.mode == 10;
    if (depth || S.mode == 11) memcpy(S.out_depth, S.depth + k * W * H, W * H * 2);
    if (ir) memcpy(S.out_ir, S.ir + k * W * H, W * H * 2);
    if (rgb) {
        const uint8_t *src = S.rgb + k * colour * 3;
        for (size_t i = 0; i < colour; i++) /* stored BGR; RGB888 swaps */
            for (int c = 0; c < 3; c++) S.out_rgb[3 * i + c] = src[3 * i + (S.colour_format == 3 ? 2 - c : c)];
    }
    int mapped = S.mapped_depth && depth && rgb;
    if (mapped) memcpy(S.out_mapped, S.mapped + k * colour, colour * 2);
    int mapped_ir = S.map_ir && ir && rgb;
    if (mapped_ir) memcpy(S.out_mapped_ir, S.mapped_ir + k * colour, colour * 2);
    S.ready.depth = depth && S.mode != 11; S.ready.wdrDepth = S.mode == 11; S.ready.ir = ir;
    S.ready.rgb = rgb; S.ready.mappedDepth = mapped; S.ready.mappedIR = mapped_ir;
    *ready = S.ready;
    S.served++;
    return 0;
}

int Ps2_GetFrame(PsDeviceHandle h, uint32_t s, int32_t type, PsFrame *frame) {
    int rc = check_handle(h);
    if (rc) return rc;
    if (!frame) return -5;
    memset(frame, 0, sizeof *frame);
    frame->frameIndex = S.served - 1; frame->frameType = type; frame->depthRange = S.range;
    frame->width = W; frame->height = H; frame->pixelFormat = 0;
    if ((type == DEPTH_T && S.ready.depth) || (type == WDR_T && S.ready.wdrDepth)) frame->pFrameData = (uint8_t *)S.out_depth;
    else if (type == IR_T && S.ready.ir) { frame->pFrameData = (uint8_t *)S.out_ir; frame->pixelFormat = 1; }
    else if (type == RGB_T && S.ready.rgb) {
        frame->pFrameData = S.out_rgb; frame->pixelFormat = S.colour_format;
        frame->width = S.cw; frame->height = S.ch;
    } else if (type == MAPPED_DEPTH_T && S.ready.mappedDepth) {
        frame->pFrameData = (uint8_t *)S.out_mapped; frame->width = S.cw; frame->height = S.ch;
    } else if (type == MAPPED_IR_T && S.ready.mappedIR) {
        frame->pFrameData = (uint8_t *)S.out_mapped_ir; frame->width = S.cw; frame->height = S.ch;
        frame->pixelFormat = 1;
    } else return -4;
    frame->dataLen = (uint32_t)frame->width * frame->height * (type == RGB_T ? 3 : 2);
#ifndef FAKE_ABI_30
    /* Time of day on the camera: 33 ms a frame from 10:00:00.000. */
    uint32_t ms = (S.served - 1) * 33;
    frame->timestamp.tm_hour = 10 + ms / 3600000; frame->timestamp.tm_min = (ms / 60000) % 60;
    frame->timestamp.tm_sec = (ms / 1000) % 60; frame->timestamp.tm_msec = ms % 1000;
    frame->hardwaretimestamp = (uint64_t)ms * 1000;
#endif
    return 0;
}
