"""The ZeroMQ side of the daemon (design.md, "Data flow").

The pipeline worker hands each message to a bounded, never-blocking queue (``handoff``); one
publisher thread (``publisher``) owns every socket: the XPUB for decisions and statuses, and
the ROUTER that answers late joiners from the current state (``snapshot``). ``config`` is the
``[publish]`` table, ``bind`` turns socket errors into ones that name the key, ``stats`` is what
the publisher counts for the status messages, and ``bench`` measures what publishing costs.
The wire format itself (``edge.messages``) and the client (``edge.subscriber``) are shared with
the face-recognition host and stay at the top of ``edge``.
"""
