"""Empty: see __init__.py. Any attribute raises."""


def __getattr__(name):
    raise ImportError(f"torchvision.models.{name} is not available in the benchmark's reference environment")
