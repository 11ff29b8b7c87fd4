"""Scripts that reproduce the shipped model (``ship``) and the cross-device table (``cross_device``)."""
