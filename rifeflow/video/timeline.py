"""Where a video's output frames sit: its source frame times against an exact output rate."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from rifeflow.manifests.rates import (bisection_tolerance, constant_times, measured_times, output_frame_count,
                                      output_positions)
from rifeflow.manifests.records import VideoProbe


@dataclass(frozen=True)
class TimelinePlan:
    times: list[Fraction]  # every decoded source frame, from the first one
    rate: Fraction  # output frames per second
    positions: list[tuple[int, Fraction]]  # per output frame: (source index, timestep to the next)

    def tolerance(self, index: int) -> Fraction:
        """Bisection tolerance (as a timestep) for the pair (index, index + 1)."""
        return bisection_tolerance(self.times[index + 1] - self.times[index], self.rate)

    def method(self, model: str) -> str:
        if not any(step for _, step in self.positions):
            return "every output frame is a source frame"
        return timestep_method(model)


def timestep_method(model: str) -> str:
    from rife_kernels.names import TIMESTEP_MODELS

    if model in TIMESTEP_MODELS:
        return f"{model} makes each frame at its exact timestep"
    return (f"{model} makes midpoints only: other timesteps by bisection, to within 1/8 of an output frame "
            "or 1/64 of the source interval (dyadic ones exactly)")


def timeline_plan(probe: VideoProbe, times: list[float], rate: Fraction) -> TimelinePlan:
    """A constant-rate source keeps its exact i / rate grid; a variable-rate one its measured times.

    The output lasts as long as the source does today (frames / nominal rate), times `rate`, rounded.
    """
    source_times = measured_times(times) if probe.vfr else constant_times(len(times), probe.rate)
    duration = Fraction(probe.frames) / probe.rate
    count = output_frame_count(duration, rate)
    return TimelinePlan(times=source_times, rate=Fraction(rate),
                        positions=output_positions(source_times, rate, count))
