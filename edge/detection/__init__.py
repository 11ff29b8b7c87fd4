"""Face detection and tracking (issue 4).

The pipeline calls one thing: ``edge.detection.finder.FaceFinder(DetectionConfig).find(frameset)``
→ ``list[TrackedFace]`` (track id, box in colour pixels, score, five landmarks, the modality that
found the face, and ``state`` "ok" or "not_enough_data").

- ``base``: the detector contract (``FaceDetector``, ``Detection``) and the registry by name.
- ``yunet``, ``mtcnn``: the two backends, on weights verified by ``weights``.
- ``modality``: colour or infrared (``rgb`` | ``ir`` | ``auto``); ``ir_mapping`` moves IR boxes
  into colour pixels.
- ``filters``: minimum score and minimum face size.
- ``tracker``: stable track ids across frames.
- ``config``: ``DetectionConfig``, the configuration section.
- ``bench``: ``python -m edge.detection.bench``.
"""
