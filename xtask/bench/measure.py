"""Runs a command and prints its wall time and peak resident memory as one JSON line.

One process per measurement: RUSAGE_CHILDREN reports the largest child ever waited for.
"""
import json
import resource
import subprocess
import sys
import time

start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
seconds = time.perf_counter() - start
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_mb": peak_kb / 1024, "status": done.returncode}))
