"""Stands in for torchvision in the reference environment only.

ECCV2022-RIFE's model/loss.py imports torchvision.models for a VGG training
loss that inference never builds; PyPI's torchvision does not load beside the
CPU build of torch 2.13.0 used here. Using anything from it is an error.
"""
