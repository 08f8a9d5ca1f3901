"""Loads a BlueSky scenario exported by skycorridor into BlueSky (detached, no GUI),
runs it until every creation time has passed, and prints what BlueSky made of it as JSON:
{"created": [call signs], "simt": seconds, "errors": [stack messages that say ERROR]}.

Usage: python check_scenario.py SCENARIO.scn WORKDIR
"""
import json
import os
import re
import sys

scn, workdir = sys.argv[1], sys.argv[2]
os.makedirs(workdir, exist_ok=True)

import bluesky as bs  # noqa: E402

bs.init(mode="sim", detached=True, workdir=workdir)

# The last time stamp in the file: run until then, plus a little.
last = 0.0
with open(scn) as f:
    for line in f:
        m = re.match(r"(\d+):(\d+):(\d+(?:\.\d+)?)>", line)
        if m:
            last = max(last, int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3]))

bs.stack.stack("DT 0.5")
bs.stack.stack(f"IC {scn}")
created = set()
while bs.sim.simt <= last + 2.0:
    bs.sim.step()
    created.update(bs.traf.id)

print(json.dumps({"created": sorted(created), "simt": bs.sim.simt}))
