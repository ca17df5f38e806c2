"""A run that seems stuck can be asked where it is: `kill -USR1` writes every thread's stack, and the
command goes on to its own end."""
from __future__ import annotations

import signal
import subprocess
import time

from tests.services import RIFEFLOW, Blackhole, pipeline_env


def test_sigusr1_writes_every_threads_stack_and_the_command_goes_on():
    hole = Blackhole()
    env = pipeline_env(AWS_ENDPOINT_URL=hole.endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                       RIFEFLOW_STORAGE_TIMEOUT_S="3", RIFEFLOW_STORAGE_RETRIES="0")
    proc = subprocess.Popen([RIFEFLOW, "report", "s3://renders/out"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not hole.connections:  # it asks the store: the handler is in place, the call is waiting
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        proc.send_signal(signal.SIGUSR1)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        hole.close()
    assert "most recent call first" in err and "in read_metrics" in err, err[-3000:]
    assert proc.returncode == 3, (proc.returncode, err[-3000:])
    assert "rifeflow: error: s3://renders/out/metrics: storage unreachable (Read timeout" in err, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
