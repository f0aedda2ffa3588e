# Python half of `cargo xtask bench xlsform` (bench tooling, not app code): convert each file
# with pyxform, the reference XLSForm converter, and report the median time and peak memory.
#   python3 pyxform_run.py SITE_PACKAGES FILE...
import json, os, resource, sys, tempfile, time
sys.path.insert(0, sys.argv[1])
from pyxform.xls2xform import xls2xform_convert

results = []
for path in sys.argv[2:]:
    times = []
    for _ in range(3):
        out = os.path.join(tempfile.mkdtemp(), "form.xml")
        started = time.perf_counter()
        xls2xform_convert(xlsform_path=path, xform_path=out, validate=False, pretty_print=False)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    results.append({"file": path, "ms": times[len(times) // 2],
                    "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss})
print(json.dumps(results))
