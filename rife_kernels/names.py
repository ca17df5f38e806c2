"""Model names and flow scales, importable without torch (command-line choices, config checks)."""
DEFAULT_MODEL = "rife-hdv3"
MODEL_NAMES = ("rife-hdv3", "rife-4.25")
SCALES = (0.25, 0.5, 1.0, 2.0, 4.0)
TIMESTEP_MODELS = ("rife-4.25",)  # models that take an arbitrary timestep; the others make midpoints only
