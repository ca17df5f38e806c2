"""rifeflow: RIFE frame interpolation for video catalogs."""
from rifeflow.api import InterpolationResult, interpolate_images, interpolate_video, main_interpolate

__version__ = "0.1.0"
__all__ = ["InterpolationResult", "interpolate_images", "interpolate_video", "main_interpolate", "__version__"]
