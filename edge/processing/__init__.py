"""Frame processing as the paper prescribes (Sections III-E, III-F, V-A2).

Depth → colour registration, the face crop, depth hole filling and normalisation
(Algorithms 1 and 2), IR quantisation and the model's input (16×16 clear, 8×8 degraded).
Every stage is a plain function or small class over numpy arrays.
"""
