"""Model names, modes and flow scales, importable without torch (option checks, command-line choices)."""
DEFAULT_MODEL = "rife-hdv3"
MODEL_NAMES = ("rife-hdv3", "rife-4.25")
SCALES = (0.25, 0.5, 1.0, 2.0, 4.0)
TIMESTEP_MODELS = ("rife-4.25",)  # models that take an arbitrary timestep; the others make midpoints only
MODES = ("chain", "direct")  # chain: repeated 2x passes; direct: every timestep from the pair at once
SCENE_CUT_SSIM = 0.2  # thumbnail SSIM under which two neighbouring frames are a scene cut
