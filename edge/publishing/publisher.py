"""The publisher thread: owns every ZeroMQ socket of the daemon (issue 6 item 6).

Sockets (each created, used and closed by this one thread, as the ZeroMQ guide asks):

* an **XPUB** bound to ``publish.endpoints`` sends ``[topic, payload, *jpeg crops]``. Every
  send is non-blocking, so a slow subscriber can never stall this thread or the pipeline.
  High-water-mark losses are counted like this: a message is first sent with ``XPUB_NODROP``
  on, and libzmq refuses it (EAGAIN) if any matching subscriber's queue is full. The refusal
  is counted, and the same message is sent again in the ordinary lossy mode, which delivers it
  to every subscriber with room. (``XPUB_NODROP`` alone would withhold the message from
  everybody for as long as one subscriber is stuck.) What libzmq lets a publisher see is
  limited: after that lossy send it parks the full subscriber, which then misses every message
  until it has drained half its queue, and those later misses are invisible to the sender. The
  count is therefore "times a subscriber was found full" — non-zero exactly when some
  subscriber lost messages, a lower bound of how many. The exact loss is seen where it
  happens: every subscriber gets per-topic sequence numbers and :mod:`edge.subscriber` counts
  the gaps.
* a **monitor** (PAIR) on the XPUB: accepted and closed connections give the subscriber count.
* a **ROUTER** bound to ``publish.snapshot_endpoints`` answers late joiners with the last
  decision and status of each camera and the sequence number they correspond to
  (:mod:`edge.publishing.snapshot`).

With ``publish.curve`` the XPUB and the ROUTER are CURVE servers whose handshakes a ZAP handler
checks against the allowed-clients directory (:mod:`edge.security.curve`), set up before they
bind. Nothing arrives on these sockets that could become a decision: the XPUB only reads
subscriptions, the ROUTER only answers snapshot requests from its own state.

The pipeline worker never touches a socket: it hands messages over through a
:class:`~edge.publishing.handoff.PublishQueue` whose wake-up descriptor sits in the same poller.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable

import cv2
import zmq
from zmq.utils.monitor import parse_monitor_message

from edge.messages import (
    DECISION_SCHEMA,
    SCHEMA_VERSION,
    STATUS_SCHEMA,
    Decision,
    Envelope,
    MessageKind,
    encode_payload,
    topic_for,
)
from edge.publishing.bind import PublishBindError, bind_all
from edge.publishing.config import PublishConfig
from edge.publishing.handoff import Outgoing, PublishQueue
from edge.publishing.stats import PublisherCounters, PublishStats
from edge.security.curve import CurveServer
from edge.security.exposure import insecure_start_warning
from edge.publishing.snapshot import SnapshotState

__all__ = ["PublishBindError", "PublishConfig", "Publisher"]

log = logging.getLogger(__name__)

_START_TIMEOUT_S = 10.0
_IDLE_POLL_MS = 200
# No ZMTP heartbeats, on purpose: libzmq 4.3.5 drops a subscriber whose receive queue is full
# when it misses a heartbeat, and on reconnect the subscriber's process can abort
# ("Assertion failed: _input_stopped", libzmq issue #3937). A slow consumer must not be killed
# by our settings; a dead subscriber host costs at most send_hwm queued messages until the
# kernel gives up on the connection.


class Publisher:
    """Start it, hand it messages through :attr:`queue`, stop it. Thread-safe from the outside."""

    def __init__(
        self,
        config: PublishConfig | None = None,
        queue: PublishQueue | None = None,
        on_published: Callable[[bytes, bytes], None] | None = None,
    ) -> None:
        self.config = config or PublishConfig()
        self._owns_queue = queue is None
        self.queue = queue or PublishQueue(self.config.queue_capacity)
        #: Called in the publisher thread with (topic, payload) after each send, e.g. to print.
        self._on_published = on_published
        self.instance = uuid.uuid4().hex
        self.stats = PublishStats()
        self.bound_endpoints: list[str] = []
        self.bound_snapshot_endpoints: list[str] = []
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        #: Set when the publisher thread died after start (a supervisor should check :attr:`running`).
        self.failure: BaseException | None = None
        self._thread: threading.Thread | None = None
        # Publisher-thread state.
        self._sequence = -1
        self._topic_sequence: dict[bytes, int] = {}
        self._snapshot = SnapshotState(self.config.publisher_id, self.instance)

    # ----------------------------------------------------------------- control (any thread)
    def start(self) -> None:
        """Bind every socket in the publisher thread; raise :class:`PublishBindError` if one fails."""
        if self._thread is not None:
            raise RuntimeError("Publisher.start() called twice")
        self._thread = threading.Thread(target=self._run, name="publisher", daemon=True)
        self._thread.start()
        if not self._ready.wait(_START_TIMEOUT_S):
            raise PublishBindError(f"publisher did not bind its sockets within {_START_TIMEOUT_S} s")
        if self._start_error is not None:
            self._thread.join()
            raise self._start_error

    def stop(self, timeout_s: float = 2.0) -> None:
        """Send what is queued, close the sockets (bounded linger) and join the thread."""
        self._stop.set()
        if self._thread is not None:
            self.queue.wake()
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                log.error("publisher thread did not stop within %.1f s", timeout_s)
            elif self._owns_queue:
                self.queue.close()

    @property
    def running(self) -> bool:
        """True while the publisher thread is alive and serving."""
        return self._thread is not None and self._thread.is_alive() and self.failure is None

    @property
    def thread_ident(self) -> int | None:
        """The publisher thread's id (e.g. for ``time.pthread_getcpuclockid``), once started."""
        return None if self._thread is None else self._thread.ident

    def counters(self) -> PublisherCounters:
        return self.stats.counters()

    def __enter__(self) -> Publisher:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- publisher thread
    def _run(self) -> None:
        context = zmq.Context()
        sockets: list[zmq.Socket] = []
        curve: CurveServer | None = None
        try:
            if self.config.curve:
                curve = CurveServer.from_files(self.config.curve_secret_key, self.config.allowed_clients_dir)
                curve.start(context)
            pub, monitor, router = self._open_sockets(context, sockets, curve)
        except BaseException as error:  # noqa: BLE001 - handed to start()'s caller
            self._start_error = error
            for s in sockets:
                s.close(linger=0)
            if curve is not None:
                curve.stop()
            context.term()
            self._ready.set()
            return
        self._ready.set()
        log.info("publishing on %s, snapshots on %s (%s)", self.bound_endpoints, self.bound_snapshot_endpoints,
                 "CURVE, allow-listed clients only" if curve else "plaintext")
        self._warn_if_exposed()
        poller = zmq.Poller()
        for s in (pub, monitor, router):
            poller.register(s, zmq.POLLIN)
        poller.register(self.queue.wake_fd, zmq.POLLIN)
        try:
            while not self._stop.is_set():
                ready = dict(poller.poll(_IDLE_POLL_MS))
                if monitor in ready:
                    self._read_monitor(monitor)
                if pub in ready:
                    self._read_subscriptions(pub)
                if router in ready:
                    self._answer_snapshots(router)
                for item in self.queue.drain():
                    self._publish_or_count(pub, item)
                if curve is not None:
                    curve.refresh_allowed_clients()
            for item in self.queue.drain():  # what the worker handed over before stop
                self._publish_or_count(pub, item)
        except Exception as error:
            self.failure = error
            log.exception("publisher thread failed; nothing more will be published")
            raise
        finally:
            pub.disable_monitor()
            for s in sockets:
                s.close(linger=self.config.linger_ms)
            if curve is not None:
                curve.stop()
            context.term()

    def _warn_if_exposed(self) -> None:
        """allow_insecure is a standing risk: say so at every start, not just once at install."""
        warning = insecure_start_warning([*self.config.endpoints, *self.config.snapshot_endpoints],
                                         self.config.curve)
        if warning is not None:
            log.warning("%s", warning)

    def _open_sockets(self, context: zmq.Context, sockets: list[zmq.Socket], curve: CurveServer | None):
        pub = context.socket(zmq.XPUB)
        sockets.append(pub)
        pub.setsockopt(zmq.SNDHWM, self.config.send_hwm)
        pub.setsockopt(zmq.LINGER, self.config.linger_ms)
        pub.setsockopt(zmq.XPUB_NODROP, 1)
        if curve is not None:
            curve.protect(pub)
        monitor = pub.get_monitor_socket(zmq.EVENT_ACCEPTED | zmq.EVENT_DISCONNECTED)
        sockets.append(monitor)
        self.bound_endpoints = bind_all(pub, self.config.endpoints, "publish.endpoints")
        router = context.socket(zmq.ROUTER)
        sockets.append(router)
        router.setsockopt(zmq.LINGER, self.config.linger_ms)
        router.setsockopt(zmq.MAXMSGSIZE, 64 * 1024)  # a request is a few camera ids
        if curve is not None:
            curve.protect(router)
        self.bound_snapshot_endpoints = bind_all(router, self.config.snapshot_endpoints, "publish.snapshot_endpoints")
        return pub, monitor, router

    def _publish_or_count(self, pub: zmq.Socket, item: Outgoing) -> None:
        """One bad message (e.g. a crop OpenCV cannot encode) is logged and counted, not fatal."""
        try:
            self._publish(pub, item)
        except zmq.ZMQError:
            raise  # the socket itself is broken: let the thread fail loudly
        except Exception:
            self.stats.publish_error()
            log.exception("could not publish a %s of camera %s", type(item.body).__name__, item.body.camera_id)

    def _publish(self, pub: zmq.Socket, item: Outgoing) -> None:
        body = item.body
        started_ns = time.monotonic_ns()
        is_decision = isinstance(body, Decision)
        kind = MessageKind.DECISION if is_decision else MessageKind.STATUS
        topic = topic_for(kind, body.camera_id)
        crops: list[bytes] = []
        if is_decision:
            body, crops = self._attach_crops(body, item.crops)
        else:
            body = self.stats.complete_status(body, self.queue.dropped(body.camera_id))
        self._sequence += 1
        topic_sequence = self._topic_sequence.get(topic, -1) + 1
        self._topic_sequence[topic] = topic_sequence
        envelope = Envelope(
            schema=DECISION_SCHEMA if is_decision else STATUS_SCHEMA,
            schema_version=SCHEMA_VERSION,
            publisher_id=self.config.publisher_id,
            publisher_instance=self.instance,
            sequence=self._sequence,
            topic_sequence=topic_sequence,
            publish_wall_ns=time.time_ns(),
        )
        payload = encode_payload(envelope, body)
        serialised_ns = time.monotonic_ns()
        self._send(pub, body.camera_id, [topic, payload, *crops])
        self._snapshot.record(topic, payload, self._sequence)
        self.stats.sent(self._sequence)
        done_ns = time.monotonic_ns()
        self.stats.time(body.camera_id, "serialisation", (serialised_ns - started_ns) / 1e6)
        self.stats.time(body.camera_id, "publish", (done_ns - item.handed_monotonic_ns) / 1e6)
        if is_decision:
            # Both ends on the host wall clock: the frame's arrival and now.
            self.stats.time(body.camera_id, "capture_to_publish", (time.time_ns() - body.capture_wall_ns) / 1e6)
        if self._on_published is not None:
            try:
                self._on_published(topic, payload)
            except Exception:
                log.exception("on_published callback failed (the message was sent)")

    def _send(self, pub: zmq.Socket, camera_id: str, frames: list[bytes]) -> None:
        try:
            pub.send_multipart(frames, flags=zmq.NOBLOCK)
            return
        except zmq.Again:
            self.stats.hwm_drop(camera_id)
        # Someone is full: deliver to everyone else, lossy for the full ones (see module doc).
        pub.setsockopt(zmq.XPUB_NODROP, 0)
        try:
            pub.send_multipart(frames, flags=zmq.NOBLOCK)
        finally:
            pub.setsockopt(zmq.XPUB_NODROP, 1)

    def _attach_crops(self, decision: Decision, crops: tuple) -> tuple[Decision, list[bytes]]:
        if not self.config.jpeg_crops or not crops:
            return decision, []
        frames: list[bytes] = []
        faces = []
        quality = [cv2.IMWRITE_JPEG_QUALITY, self.config.jpeg_quality]
        for face, crop in zip(decision.faces, crops):
            ok, jpeg = False, None
            if crop is not None and crop.size:
                try:
                    ok, jpeg = cv2.imencode(".jpg", crop, quality)
                except cv2.error as error:  # the decision matters more than its picture
                    log.warning("face crop of %s not encoded (%s %s): %s", decision.camera_id, crop.dtype,
                                crop.shape, str(error).strip().splitlines()[-1])
            if ok:
                faces.append(face.model_copy(update={"crop_frame": 2 + len(frames)}))
                frames.append(jpeg.tobytes())
            else:
                faces.append(face)
        return decision.model_copy(update={"faces": faces}), frames

    def _read_monitor(self, monitor: zmq.Socket) -> None:
        while True:
            try:
                event = parse_monitor_message(monitor.recv_multipart(zmq.NOBLOCK))
            except zmq.Again:
                return
            if event["event"] == zmq.EVENT_ACCEPTED:
                self.stats.peer_connected(event["value"])
            elif event["event"] == zmq.EVENT_DISCONNECTED:
                self.stats.peer_disconnected(event["value"])

    def _read_subscriptions(self, pub: zmq.Socket) -> None:
        # XPUB queues (un)subscriptions for us; read them so that they cannot pile up.
        while True:
            try:
                message = pub.recv(zmq.NOBLOCK)
            except zmq.Again:
                return
            if message:
                log.debug("%s %r", "subscribe" if message[0] == 1 else "unsubscribe", message[1:80])

    def _answer_snapshots(self, router: zmq.Socket) -> None:
        while True:
            try:
                identity, *request = router.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            except ValueError:  # an empty message has no identity frame: nothing to answer
                continue
            self.stats.snapshot_request()
            try:
                router.send_multipart([identity, *self._snapshot.reply(request)], flags=zmq.NOBLOCK)
            except zmq.Again:
                log.warning("snapshot reply dropped: the requester is not reading")
