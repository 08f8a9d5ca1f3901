"""The same traffic in skycorridor and in BlueSky, each without resolution and with MVP.

Exports a scenario's planned flights with `skycorridor export --bluesky`, flies them in
BlueSky (detached, no GUI) twice, with conflict detection only (`RESO OFF`) and with
BlueSky's own MVP (`RESO MVP`), runs `skycorridor run --compare-resolution` with
`tactical: Mvp` on the same scenario and duration, and prints the four sets of counts
side by side as one JSON line.

Both count a conflict each time a pair enters conflict (BlueSky's `confpairs_all`,
skycorridor's conflict episodes) and a loss of separation each time a pair enters one
(`lospairs_all`, loss-of-separation events), with the export's minima and look-ahead
(`ZONER`, `ZONEDH`, `DTLOOK`). BlueSky flies its fixed-wing performance models along the
exported waypoints: no terminal areas, gates or jurisdictions, its own speed envelope,
and aircraft are not removed at their destination. Compare what each MVP does to its
own traffic (the change in losses, the domino effect), not the totals.

Usage: python compare_mvp.py SKYCORRIDOR_BINARY SCENARIO.ron WORKDIR [SECONDS]
(SECONDS defaults to the scenario's duration; flights are those departing within it.)
"""
import json
import os
import subprocess
import sys


def fly(scn, workdir, seconds, reso):
    """One BlueSky run; returns its counts."""
    import bluesky as bs

    os.makedirs(workdir, exist_ok=True)
    bs.init(mode="sim", detached=True, workdir=workdir)
    bs.stack.stack("DT 0.5")
    bs.stack.stack(f"IC {scn}")
    bs.sim.step()
    bs.stack.stack(f"RESO {reso}")
    while bs.sim.simt <= seconds:
        bs.sim.step()
    cd = bs.traf.cd
    return {
        "conflicts": len(cd.confpairs_all),
        "losses_of_separation": len(cd.lospairs_all),
    }


def main(binary, scenario, workdir, seconds):
    os.makedirs(workdir, exist_ok=True)
    scn = os.path.join(workdir, "traffic.scn")
    over = [] if seconds is None else ["--set", f"duration_s={seconds}"]
    subprocess.run([binary, "export", scenario, "--bluesky", scn] + over, check=True,
                   capture_output=True)
    sky_out = os.path.join(workdir, "skycorridor")
    subprocess.run([binary, "run", scenario, "--out", sky_out, "--compare-resolution",
                    "--set", "deconfliction.tactical=Mvp"] + over, check=True,
                   capture_output=True)
    with open(os.path.join(sky_out, "comparison.json")) as f:
        c = json.load(f)
    with open(os.path.join(sky_out, "report.json")) as f:
        simulated = json.load(f)["simulated_s"]
    out = {"seconds": simulated, "skycorridor": {}, "bluesky": {}}
    for side, key in [("none", "without_resolution"), ("mvp", "with_resolution")]:
        out["skycorridor"][side] = {
            "conflicts": c[key]["conflicts"],
            "losses_of_separation": c[key]["losses_of_separation"],
        }
    for side, reso in [("none", "OFF"), ("mvp", "MVP")]:
        # One process per run: BlueSky keeps its state in module globals.
        run = subprocess.run(
            [sys.executable, __file__, "--fly", scn, os.path.join(workdir, reso),
             str(simulated), reso],
            capture_output=True, text=True, check=True,
        )
        line = [l for l in run.stdout.splitlines() if l.startswith("{")][-1]
        out["bluesky"][side] = json.loads(line)
    for name in ["skycorridor", "bluesky"]:
        s = out[name]
        s["domino_effect_parameter"] = (
            s["mvp"]["conflicts"] / max(s["none"]["conflicts"], 1) - 1.0)
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "--fly":
        scn, workdir, seconds, reso = sys.argv[2:6]
        print(json.dumps(fly(scn, workdir, float(seconds), reso)))
    else:
        main(sys.argv[1], sys.argv[2], sys.argv[3],
             sys.argv[4] if len(sys.argv) > 4 else None)
