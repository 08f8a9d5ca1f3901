#!/bin/bash
# A large skycorridor sweep as a Slurm job array: 16 tasks, each one shard.
#   sbatch docs/slurm_sweep.sh            # then, when all tasks are done:
#   skycorridor sweep-merge sweep/shard-* --out sweep/all
#SBATCH --job-name=skycorridor-sweep
#SBATCH --array=0-15
#SBATCH --cpus-per-task=4
#SBATCH --time=02:00:00
set -euo pipefail
skycorridor sweep scenarios/gba_default.ron \
    --vary separation.horizontal_m=30..120:10 \
    --vary demand.scale=0.5..3:11 \
    --seeds 10 \
    --shard "${SLURM_ARRAY_TASK_ID}/16" \
    --threads "${SLURM_CPUS_PER_TASK}" \
    --out "sweep/shard-${SLURM_ARRAY_TASK_ID}"
# Kubernetes: an Indexed Job with completions: 16 runs the same command with
# --shard "${JOB_COMPLETION_INDEX}/16" and a shared volume for sweep/.
