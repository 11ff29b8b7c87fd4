"""Datasets for training and evaluation: face arrays (npz), CASIA-SURF lists, plain folders."""

from engines.data.arrays import FaceArrays, load_npz
from engines.data.degrade import Degradation

__all__ = ["Degradation", "FaceArrays", "load_npz"]
