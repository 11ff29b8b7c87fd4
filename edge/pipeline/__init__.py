"""The daemon's threads and their plumbing: capture per camera, latest-frame slots, the
pipeline worker and its stages, and the assembly that supervises them (design.md, "Data flow")."""
