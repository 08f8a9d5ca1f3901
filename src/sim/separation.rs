//! Separation checks: which pairs of drones are in loss of separation now, and which are
//! in conflict (a loss of separation predicted within the look-ahead).
//!
//! Prediction is straight-line at current velocities (state-based, as in BlueSky). For a
//! pair, [`encounter_interval`] gives the exact open time interval in which both the
//! horizontal and the vertical distance are below their minima. A pair is
//! - in *loss of separation during the step* when that interval meets `[0, dt)`;
//! - in *conflict* when it meets `[0, lookahead_s]`.
//!
//! Broad phase: an rstar R-tree over each drone's swept box (its straight-line positions
//! over the horizon, grown by half the minima on each side). Two drones can only come
//! within the minima if their boxes overlap, so the R-tree loses no pair: the property
//! test in `tests/` checks it against [`detect_brute_force`].

use glam::DVec3;
use nonmax::NonMaxU32;
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree, RTreeObject};

/// Position and velocity of one drone, local metres and m/s: `[east, north, up]`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Track {
    /// `[east_m, north_m, alt_m]`.
    pub pos: DVec3,
    /// `[east_mps, north_mps, up_mps]`.
    pub vel: DVec3,
}

/// Separation parameters of one check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Horizontal minimum, metres.
    pub horizontal_m: f64,
    /// Vertical minimum, metres.
    pub vertical_m: f64,
    /// Look-ahead, seconds.
    pub lookahead_s: f64,
    /// The step, seconds: the window in which a loss of separation counts as now.
    pub dt_s: f64,
}

/// A pair that is in conflict (and perhaps in loss of separation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Encounter {
    /// Lower track index.
    pub a: u32,
    /// Higher track index.
    pub b: u32,
    /// Start of the predicted violation, seconds from now (negative: already in it).
    pub t_in: f64,
    /// End of the predicted violation, seconds from now.
    pub t_out: f64,
}

impl Encounter {
    /// Whether the violation overlaps the current step `[0, dt)`.
    pub fn los_in_step(&self, dt: f64) -> bool {
        self.t_in < dt && self.t_out > 0.0
    }
}

/// Position and velocity of `b` relative to `a`, as `[east, north, up]` components.
fn relative(a: &Track, b: &Track) -> ([f64; 3], [f64; 3]) {
    ((b.pos - a.pos).to_array(), (b.vel - a.vel).to_array())
}

/// Open interval of time (relative to now) in which both distances are under the minima,
/// assuming straight-line motion; `None` if there is none.
pub fn encounter_interval(p: &Params, a: &Track, b: &Track) -> Option<(f64, f64)> {
    let ([dx, dy, dz], [vx, vy, vz]) = relative(a, b);
    // Horizontal: |d + v t|^2 < H^2.
    let qa = vx * vx + vy * vy;
    let qb = 2.0 * (dx * vx + dy * vy);
    let qc = dx * dx + dy * dy - p.horizontal_m * p.horizontal_m;
    let (mut lo, mut hi) = if qa < 1e-12 {
        if qc < 0.0 {
            (f64::NEG_INFINITY, f64::INFINITY)
        } else {
            return None;
        }
    } else {
        let disc = qb * qb - 4.0 * qa * qc;
        if disc <= 0.0 {
            return None;
        }
        let sq = disc.sqrt();
        ((-qb - sq) / (2.0 * qa), (-qb + sq) / (2.0 * qa))
    };
    // Vertical: |dz + vz t| < V.
    if vz.abs() < 1e-12 {
        if dz.abs() >= p.vertical_m {
            return None;
        }
    } else {
        let t1 = (-p.vertical_m - dz) / vz;
        let t2 = (p.vertical_m - dz) / vz;
        lo = lo.max(t1.min(t2));
        hi = hi.min(t1.max(t2));
    }
    (lo < hi).then_some((lo, hi))
}

/// Per-track rules on top of [`Params`]; empty slices mean "none".
#[derive(Debug, Clone, Copy, Default)]
pub struct PairRules<'a> {
    /// `[horizontal_m, vertical_m]` of each track (e.g. from the jurisdiction it flies
    /// in): a pair is held to the larger of its two. Every entry must be within `Params`
    /// (the broad phase grows boxes by `Params`).
    pub minima: &'a [[f32; 2]],
}

/// The minima a pair is held to: the larger of the two tracks' own minima, or `p`'s when
/// there are none.
pub fn pair_params(p: &Params, minima: &[[f32; 2]], a: usize, b: usize) -> Params {
    if minima.is_empty() {
        return *p;
    }
    let (ma, mb) = (minima[a], minima[b]);
    Params {
        horizontal_m: f64::from(ma[0].max(mb[0])),
        vertical_m: f64::from(ma[1].max(mb[1])),
        ..*p
    }
}

/// Classifies one pair: `Some` if it is in conflict within the look-ahead (or in loss of
/// separation during the step).
pub fn check_pair(p: &Params, a: &Track, b: &Track) -> Option<(f64, f64)> {
    let horizon = p.lookahead_s.max(p.dt_s);
    let (t_in, t_out) = encounter_interval(p, a, b)?;
    let in_lookahead = t_in < horizon && t_out > 0.0;
    in_lookahead.then_some((t_in, t_out))
}

/// A reach box in the tree, in single precision rounded outward (so it holds the box it
/// stands for: no pair is missed, and each is checked exactly after): half the memory of
/// a double-precision entry, and the rebuild and the self-join move half the bytes.
type Entry = GeomWithData<Rectangle<[f32; 3]>, u32>;

/// `b` in single precision, rounded outward.
fn entry_box(b: &Aabb) -> Rectangle<[f32; 3]> {
    let (lo, hi) = (b.lower(), b.upper());
    let down = |v: f64| {
        let x = v as f32;
        if f64::from(x) > v { x.next_down() } else { x }
    };
    let up = |v: f64| {
        let x = v as f32;
        if f64::from(x) < v { x.next_up() } else { x }
    };
    Rectangle::from_corners(lo.map(down), hi.map(up))
}

/// Axis-aligned box in local metres, `[east, north, up]`.
pub type Aabb = AABB<[f64; 3]>;

/// Grows a box of positions by half the minima on each side (and a millimetre, so
/// rounding never drops a pair): two drones can only be within the minima if their grown
/// boxes overlap.
pub fn grow(lo: [f64; 3], hi: [f64; 3], p: &Params) -> Aabb {
    let g = [
        0.5 * p.horizontal_m + 1e-3,
        0.5 * p.horizontal_m + 1e-3,
        0.5 * p.vertical_m + 1e-3,
    ];
    AABB::from_corners(
        [lo[0] - g[0], lo[1] - g[1], lo[2] - g[2]],
        [hi[0] + g[0], hi[1] + g[1], hi[2] + g[2]],
    )
}

/// The straight-line swept box of one track over the look-ahead (or the step, if longer).
pub fn swept_box(p: &Params, t: &Track) -> Aabb {
    let horizon = p.lookahead_s.max(p.dt_s);
    let end = t.pos + t.vel * horizon;
    grow(t.pos.min(end).to_array(), t.pos.max(end).to_array(), p)
}

/// The R-tree broad phase with temporal coherence.
///
/// Every `refresh_steps` steps it bulk-loads an R-tree of *reach boxes*, one per drone,
/// supplied by the caller: a reach box must contain every straight-line prediction
/// `pos + vel * tau` (`0 <= tau <= horizon`) the drone can make at any step until the next
/// refresh, grown by [`grow`]. Overlapping reach boxes give the candidate pairs; each step
/// checks only those, exactly. A drone that appears between refreshes is inserted into the
/// tree and queried at once, so it is never missed. With `refresh_steps = 1` and
/// [`swept_box`] as the reach box this is the plain per-step R-tree check.
#[derive(Clone)]
pub struct Broadphase {
    refresh_steps: u32,
    age: u32,
    tree: Forest,
    /// Drones that appeared since the last rebuild. A separate tree grown by insertion:
    /// rstar 0.12 can panic when inserting into a bulk-loaded tree (georust/rstar#239).
    late: RTree<Entry>,
    /// Candidate pairs of ids, `a < b`: those of the last rebuild, sorted, then those of
    /// each step's newcomers, sorted. No pair appears twice.
    candidates: Vec<(u32, u32)>,
    /// Whether an id has a box in the tree.
    in_tree: Vec<bool>,
    /// Track index of each id this step, `None` when absent (4 bytes: the niche of
    /// `NonMaxU32` keeps the table as compact as a sentinel would).
    slot: Vec<Option<NonMaxU32>>,
}

const CHUNK: usize = 512;

impl Broadphase {
    /// A broad phase that rebuilds its tree every `refresh_steps` steps (at least 1).
    pub fn new(refresh_steps: u32) -> Self {
        Broadphase {
            refresh_steps: refresh_steps.max(1),
            age: 0,
            tree: Forest::default(),
            late: RTree::new(),
            candidates: Vec::new(),
            in_tree: Vec::new(),
            slot: Vec::new(),
        }
    }

    /// Rebuilds the tree every `refresh_steps` steps from now on (at least 1); a new
    /// interval rebuilds it at the next check, as its reach boxes were grown for the old.
    pub fn set_refresh_steps(&mut self, refresh_steps: u32) {
        let n = refresh_steps.max(1);
        if n != self.refresh_steps {
            self.refresh_steps = n;
            self.age = 0;
        }
    }

    /// Candidate pairs currently held (for tests and statistics).
    pub fn candidate_count(&self) -> usize {
        self.candidates.len()
    }

    /// The candidate pairs of ids (`a < b`): every pair whose reach boxes meet, so every
    /// pair that can come within the minima until the next rebuild.
    pub fn candidates(&self) -> &[(u32, u32)] {
        &self.candidates
    }

    /// Conflicting pairs among `tracks` (with stable external `ids`, e.g. flight indices),
    /// into `out` (cleared first), in a fixed order (that of the candidate pairs). `reach(i)` gives track `i`'s
    /// reach box. Runs on rayon's pool; the result does not depend on the thread count.
    pub fn detect(
        &mut self,
        ids: &[u32],
        tracks: &[Track],
        p: &Params,
        rules: &PairRules,
        reach: impl Fn(usize) -> Aabb + Sync,
        out: &mut Vec<Encounter>,
    ) {
        out.clear();
        let max_id = ids.iter().copied().max().map_or(0, |m| m as usize + 1);
        if self.slot.len() < max_id {
            self.slot.resize(max_id, None);
            self.in_tree.resize(max_id, false);
        }
        if self.age == 0 || self.age >= self.refresh_steps {
            self.rebuild(ids, tracks, &reach);
        } else {
            self.add_newcomers(ids, &reach);
        }
        self.age += 1;

        for (i, &id) in ids.iter().enumerate() {
            self.slot[id as usize] = NonMaxU32::new(i as u32);
        }
        let slot = &self.slot;
        let parts: Vec<Vec<Encounter>> = self
            .candidates
            .par_chunks(CHUNK * 4)
            .map(|chunk| {
                let mut local = Vec::new();
                for &(a, b) in chunk {
                    let (Some(sa), Some(sb)) = (slot[a as usize], slot[b as usize]) else {
                        continue;
                    };
                    let (sa, sb) = (sa.get() as usize, sb.get() as usize);
                    let pp = pair_params(p, rules.minima, sa, sb);
                    if let Some((t_in, t_out)) = check_pair(&pp, &tracks[sa], &tracks[sb]) {
                        let (sa, sb) = (sa as u32, sb as u32);
                        let (a, b) = if sa < sb { (sa, sb) } else { (sb, sa) };
                        local.push(Encounter { a, b, t_in, t_out });
                    }
                }
                local
            })
            .collect();
        for part in parts {
            out.extend(part);
        }
        for &id in ids {
            self.slot[id as usize] = None;
        }
    }

    fn rebuild(&mut self, ids: &[u32], tracks: &[Track], reach: &(impl Fn(usize) -> Aabb + Sync)) {
        // The old trees go before the new one is built, so that it can take their place.
        self.tree = Forest::default();
        self.late = RTree::new();
        self.in_tree.iter_mut().for_each(|b| *b = false);
        let mut entries: Vec<Entry> = Vec::with_capacity(tracks.len());
        (0..tracks.len())
            .into_par_iter()
            .map(|i| GeomWithData::new(entry_box(&reach(i)), ids[i]))
            .collect_into_vec(&mut entries);
        for &id in ids {
            self.in_tree[id as usize] = true;
        }
        self.tree = Forest::load(entries);
        self.candidates.clear();
        joined_pairs(&self.tree, &mut self.candidates);
        self.age = 0;
    }

    fn add_newcomers(&mut self, ids: &[u32], reach: &impl Fn(usize) -> Aabb) {
        let new: Vec<(usize, u32)> = ids
            .iter()
            .enumerate()
            .filter(|(_, id)| !self.in_tree[**id as usize])
            .map(|(i, id)| (i, *id))
            .collect();
        if new.is_empty() {
            return;
        }
        let boxes: Vec<AABB<[f32; 3]>> = new
            .iter()
            .map(|&(i, _)| entry_box(&reach(i)).envelope())
            .collect();
        for (b, &(_, id)) in boxes.iter().zip(&new) {
            self.late
                .insert(GeomWithData::new(Rectangle::from_aabb(*b), id));
            self.in_tree[id as usize] = true;
        }
        let mut found = Vec::new();
        for (b, &(_, id)) in boxes.iter().zip(&new) {
            for tree in self.tree.0.iter().chain([&self.late]) {
                let _ = tree.locate_in_envelope_intersecting_int(b, |e| {
                    if e.data != id {
                        found.push((id.min(e.data), id.max(e.data)));
                    }
                    std::ops::ControlFlow::<()>::Continue(())
                });
            }
        }
        // Every pair found here involves a newcomer, so none is a candidate already; two
        // newcomers find each other twice.
        found.sort_unstable();
        found.dedup();
        self.candidates.extend(found);
    }
}

/// The R-tree of a rebuild's reach boxes as the subtrees under its root, each
/// bulk-loaded on its own, on every core: rstar's bulk load (the OMT algorithm) runs on
/// one thread, and it was a fifth of the simulation's serial time at 100,000 drones.
/// The root's slabs are cut as rstar cuts them ([`root_slabs`]) and each is loaded by
/// rstar, so the tree is the one `RTree::bulk_load` builds, node for node (its quality,
/// not its order, matters since the candidate pairs are sorted: [`joined_pairs`]). One
/// tree when the boxes fit in one node.
#[derive(Clone, Default)]
struct Forest(Vec<RTree<Entry>>);

/// Children of a node of rstar's default parameters.
const NODE_MAX: usize = <rstar::DefaultParams as rstar::RTreeParams>::MAX_SIZE;
// The self-join keeps a node's children in the bits of a `u64`.
const _: () = assert!(NODE_MAX <= 64);

impl Forest {
    fn load(entries: Vec<Entry>) -> Forest {
        if entries.len() <= NODE_MAX {
            return Forest(vec![RTree::bulk_load(entries)]);
        }
        let clusters = clusters_on_axis(entries.len());
        Forest(
            root_slabs(entries, clusters, 3)
                .into_par_iter()
                .map(RTree::bulk_load)
                .collect(),
        )
    }

    /// The nodes under the root, in order: the subtrees' roots, or the leaves of a
    /// single node.
    fn tops(&self) -> Vec<Top<'_>> {
        match &self.0[..] {
            [] => Vec::new(),
            [one] if one.size() <= NODE_MAX => {
                one.root().children().iter().map(Top::Node).collect()
            }
            many => many.iter().map(|t| Top::Parent(t.root())).collect(),
        }
    }
}

/// How many slabs rstar's bulk load cuts `n` boxes into along each axis at the root
/// (`calculate_number_of_clusters_on_axis` in rstar 0.12, not exported): enough
/// subtrees of full nodes to hold them, split evenly over the three axes.
fn clusters_on_axis(n: usize) -> usize {
    let max_size = NODE_MAX as f32;
    let depth = (n as f32).log(max_size).ceil() as i32;
    let n_subtree = max_size.powi(depth - 1);
    let clusters = (n as f32 / n_subtree).ceil();
    (clusters.powf(1.0 / 3.0).ceil() as usize).max(2)
}

/// The slabs of `elements` that rstar's bulk load makes the root's children, in its
/// order: cut into `clusters` slabs along axis `axis - 1` (by the boxes' lower corners,
/// as `Envelope::partition_envelopes` does), each of those along the next axis down,
/// to the last; rstar takes its slabs from a stack, so a cut's slabs come last first.
/// The cuts of different slabs are made on every core.
fn root_slabs(mut elements: Vec<Entry>, clusters: usize, axis: usize) -> Vec<Vec<Entry>> {
    use rstar::Envelope;
    if axis == 0 {
        return vec![elements];
    }
    let size = elements.len().div_ceil(clusters);
    let mut slabs = Vec::new();
    while elements.len() > size {
        AABB::partition_envelopes(axis - 1, &mut elements, size);
        let rest = elements.split_off(size);
        slabs.push(std::mem::replace(&mut elements, rest));
    }
    if !elements.is_empty() {
        slabs.push(elements);
    }
    let parts: Vec<Vec<Vec<Entry>>> = slabs
        .into_par_iter()
        .rev()
        .map(|slab| root_slabs(slab, clusters, axis - 1))
        .collect();
    parts.into_iter().flatten().collect()
}

/// A node under the root of a [`Forest`]: a subtree's root, or a node of the one tree.
#[derive(Clone, Copy)]
enum Top<'a> {
    Parent(&'a rstar::ParentNode<Entry>),
    Node(&'a rstar::RTreeNode<Entry>),
}

/// Every pair of entries of `tree` whose boxes meet, `(a, b)` with `a < b`, into `out`,
/// sorted: an order of the pairs alone, so that no output depends on the tree's shape
/// (rstar's node size, how the root is cut). Found by a self-join of the tree (each pair
/// of subtrees whose envelopes meet descended once; about half the time of a query per
/// drone), in parallel over the pairs of the root's subtrees.
fn joined_pairs(tree: &Forest, out: &mut Vec<(u32, u32)>) {
    use rstar::{Envelope, ParentNode, RTreeNode, RTreeObject};
    type Node = RTreeNode<Entry>;
    fn env(n: &Node) -> AABB<[f32; 3]> {
        match n {
            RTreeNode::Leaf(e) => e.envelope(),
            RTreeNode::Parent(p) => p.envelope(),
        }
    }
    /// Pairs with one entry under `x` and the other under `y` (disjoint subtrees).
    fn across(x: &Node, y: &Node, out: &mut Vec<(u32, u32)>) {
        if !env(x).intersects(&env(y)) {
            return;
        }
        across_met(x, y, out);
    }
    /// [`across`] of two nodes whose envelopes meet. Two parents are descended
    /// together, pairs of children whose envelopes meet (a child of one that misses
    /// the other's envelope left at once): descending one to its leaves first, then the
    /// other once for each of those leaves, tested the other's upper levels again for
    /// every leaf (the join took a tenth longer).
    fn across_met(x: &Node, y: &Node, out: &mut Vec<(u32, u32)>) {
        match (x, y) {
            (RTreeNode::Leaf(a), RTreeNode::Leaf(b)) => {
                out.push((a.data.min(b.data), a.data.max(b.data)));
            }
            (RTreeNode::Leaf(_), RTreeNode::Parent(q)) => {
                q.children().iter().for_each(|d| across(x, d, out));
            }
            (RTreeNode::Parent(p), RTreeNode::Leaf(_)) => {
                p.children().iter().for_each(|c| across(c, y, out));
            }
            (RTreeNode::Parent(p), RTreeNode::Parent(q)) => {
                let (ex, ey) = (p.envelope(), q.envelope());
                // The children of `q` that meet `p`, a bit each.
                let ys = q.children();
                let meet = ys
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| env(d).intersects(&ex))
                    .fold(0u64, |m, (j, _)| m | 1 << j);
                for c in p.children() {
                    let ec = env(c);
                    if meet == 0 || !ec.intersects(&ey) {
                        continue;
                    }
                    let mut m = meet;
                    while m != 0 {
                        let d = &ys[m.trailing_zeros() as usize];
                        m &= m - 1;
                        if ec.intersects(&env(d)) {
                            across_met(c, d, out);
                        }
                    }
                }
            }
        }
    }
    /// Pairs with both entries under `p`.
    fn within(p: &ParentNode<Entry>, out: &mut Vec<(u32, u32)>) {
        let c = p.children();
        for i in 0..c.len() {
            if let RTreeNode::Parent(q) = &c[i] {
                within(q, out);
            }
            for j in i + 1..c.len() {
                across(&c[i], &c[j], out);
            }
        }
    }
    /// [`across`] from the nodes under the root.
    fn across_tops(x: Top, y: Top, out: &mut Vec<(u32, u32)>) {
        let env_of = |t: Top| match t {
            Top::Parent(p) => p.envelope(),
            Top::Node(n) => env(n),
        };
        match (x, y) {
            (Top::Node(a), Top::Node(b)) => across(a, b, out),
            _ if !env_of(x).intersects(&env_of(y)) => {}
            (Top::Parent(p), _) => p
                .children()
                .iter()
                .for_each(|c| across_tops(Top::Node(c), y, out)),
            (_, Top::Parent(q)) => q
                .children()
                .iter()
                .for_each(|d| across_tops(x, Top::Node(d), out)),
        }
    }
    let c = tree.tops();
    let tasks: Vec<(usize, usize)> = (0..c.len())
        .flat_map(|i| (i..c.len()).map(move |j| (i, j)))
        .collect();
    out.par_extend(tasks.par_iter().flat_map_iter(|&(i, j)| {
        let mut found = Vec::new();
        if i != j {
            across_tops(c[i], c[j], &mut found);
        } else {
            match c[i] {
                Top::Parent(q) | Top::Node(RTreeNode::Parent(q)) => within(q, &mut found),
                Top::Node(RTreeNode::Leaf(_)) => {}
            }
        }
        found
    }));
    out.par_sort_unstable();
}

/// The plain per-step check: an R-tree over this step's swept boxes.
#[derive(Default)]
pub struct Detector {
    ids: Vec<u32>,
}

impl Detector {
    /// All conflicting pairs among `tracks`, sorted by `(a, b)`, into `out` (cleared first).
    pub fn detect(&mut self, tracks: &[Track], p: &Params, out: &mut Vec<Encounter>) {
        self.ids.clear();
        self.ids.extend(0..tracks.len() as u32);
        Broadphase::new(1).detect(
            &self.ids,
            tracks,
            p,
            &PairRules::default(),
            |i| swept_box(p, &tracks[i]),
            out,
        );
        out.par_sort_unstable_by_key(|e| (e.a, e.b));
    }
}

/// The all-pairs reference: what [`Detector::detect`] must return, in O(n^2).
pub fn detect_brute_force(tracks: &[Track], p: &Params, rules: &PairRules) -> Vec<Encounter> {
    let mut out = Vec::new();
    for i in 0..tracks.len() {
        for j in i + 1..tracks.len() {
            let pp = pair_params(p, rules.minima, i, j);
            if let Some((t_in, t_out)) = check_pair(&pp, &tracks[i], &tracks[j]) {
                out.push(Encounter {
                    a: i as u32,
                    b: j as u32,
                    t_in,
                    t_out,
                });
            }
        }
    }
    out
}

/// Closest horizontal approach within `[t0, t1]`: `(time, horizontal_m, vertical_m)`.
pub fn closest_in(a: &Track, b: &Track, t0: f64, t1: f64) -> (f64, f64, f64) {
    let ([dx, dy, dz], [vx, vy, vz]) = relative(a, b);
    let v2 = vx * vx + vy * vy;
    let t = if v2 < 1e-12 {
        t0
    } else {
        (-(dx * vx + dy * vy) / v2).clamp(t0, t1)
    };
    ((t), (dx + vx * t).hypot(dy + vy * t), (dz + vz * t).abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Params = Params {
        horizontal_m: 50.0,
        vertical_m: 15.0,
        lookahead_s: 30.0,
        dt_s: 1.0,
    };

    proptest::proptest! {
        /// A tree entry holds the reach box it stands for, and is at most one step of
        /// single precision larger on each side.
        #[test]
        fn an_entry_holds_its_box(
            lo in proptest::array::uniform3(-600_000.0..600_000.0f64),
            size in proptest::array::uniform3(0.0..5_000.0f64),
        ) {
            let hi = [lo[0] + size[0], lo[1] + size[1], lo[2] + size[2]];
            let r = rstar::RTreeObject::envelope(&entry_box(&AABB::from_corners(lo, hi)));
            for k in 0..3 {
                let (l, h) = (f64::from(r.lower()[k]), f64::from(r.upper()[k]));
                proptest::prop_assert!(l <= lo[k] && h >= hi[k], "{l} {h} vs {} {}", lo[k], hi[k]);
                let ulp = |v: f32| f64::from(v.abs().next_up() - v.abs());
                proptest::prop_assert!(lo[k] - l <= ulp(r.lower()[k]) && h - hi[k] <= ulp(r.upper()[k]));
            }
        }

        /// The self-join finds exactly the pairs a query per box finds, sorted.
        #[test]
        fn the_self_join_finds_what_a_query_per_box_finds(
            boxes in proptest::collection::vec(
                ((0.0..2000.0f64, 0.0..2000.0f64, 0.0..100.0f64), (1.0..300.0f64, 1.0..300.0f64, 1.0..30.0f64)),
                0..400,
            ),
            shuffle in 0u64..1000,
        ) {
            // Ids out of order and with gaps, as flights in the air are.
            let ids: Vec<u32> = (0..boxes.len() as u32)
                .map(|i| (i * 7 + shuffle as u32) % (boxes.len() as u32 * 7 + 1) * 3 + 1)
                .collect();
            let mut seen = std::collections::BTreeSet::new();
            proptest::prop_assume!(ids.iter().all(|id| seen.insert(*id)));
            let entries: Vec<Entry> = boxes
                .iter()
                .zip(&ids)
                .map(|(&((x, y, z), (w, h, d)), &id)| {
                    GeomWithData::new(entry_box(&AABB::from_corners([x, y, z], [x + w, y + h, z + d])), id)
                })
                .collect();
            let tree = RTree::bulk_load(entries.clone());
            let mut want = Vec::new();
            for e in &entries {
                let a = e.data;
                let _ = tree.locate_in_envelope_intersecting_int(&rstar::RTreeObject::envelope(e), |f| {
                    if f.data > a {
                        want.push((a, f.data));
                    }
                    std::ops::ControlFlow::<()>::Continue(())
                });
            }
            want.sort_unstable();
            let mut got = Vec::new();
            joined_pairs(&Forest::load(entries), &mut got);
            proptest::prop_assert_eq!(got, want);
        }

        /// The forest's leaves lie in the order of rstar's own bulk load's, whatever
        /// the count (one node, one level of slabs, several) and however the boxes lie.
        #[test]
        fn the_forest_keeps_rstars_leaf_order(
            n in 0usize..3000,
            seed in 0u64..1_000_000,
            flat in proptest::bool::ANY,
        ) {
            use rand::{RngExt, SeedableRng};
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let entries: Vec<Entry> = (0..n as u32)
                .map(|id| {
                    // Many equal coordinates when flat (drones on few levels).
                    let z = if flat { f64::from(rng.random_range(0..3u8)) * 30.0 } else { rng.random_range(0.0..120.0) };
                    let lo = [rng.random_range(0.0..5000.0), rng.random_range(0.0..5000.0), z];
                    let hi = [lo[0] + rng.random_range(0.0..300.0), lo[1] + rng.random_range(0.0..300.0), z + 20.0];
                    GeomWithData::new(entry_box(&AABB::from_corners(lo, hi)), id)
                })
                .collect();
            fn leaves(n: &rstar::RTreeNode<Entry>, out: &mut Vec<u32>) {
                match n {
                    rstar::RTreeNode::Leaf(e) => out.push(e.data),
                    rstar::RTreeNode::Parent(p) => p.children().iter().for_each(|c| leaves(c, out)),
                }
            }
            let tree = RTree::bulk_load(entries.clone());
            let mut want = Vec::new();
            tree.root().children().iter().for_each(|c| leaves(c, &mut want));
            let forest = Forest::load(entries);
            let mut got = Vec::new();
            for t in forest.tops() {
                match t {
                    Top::Parent(p) => p.children().iter().for_each(|c| leaves(c, &mut got)),
                    Top::Node(c) => leaves(c, &mut got),
                }
            }
            proptest::prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn head_on_interval_by_hand() {
        // 630 m apart, 48 m lateral offset, closing at 20 m/s, same altitude:
        // inside 50 m when |dn| < 14, i.e. t in ((630-14)/20, (630+14)/20) = (30.8, 32.2).
        let a = Track {
            pos: DVec3::new(0.0, 0.0, 100.0),
            vel: DVec3::new(0.0, 10.0, 0.0),
        };
        let b = Track {
            pos: DVec3::new(48.0, 630.0, 100.0),
            vel: DVec3::new(0.0, -10.0, 0.0),
        };
        let (t_in, t_out) = encounter_interval(&P, &a, &b).unwrap();
        assert!(
            (t_in - 30.8).abs() < 1e-9 && (t_out - 32.2).abs() < 1e-9,
            "{t_in} {t_out}"
        );
        assert!(
            check_pair(&P, &a, &b).is_none(),
            "30.8 s is beyond the 30 s look-ahead"
        );
    }

    #[test]
    fn vertical_minimum_separates() {
        let a = Track {
            pos: DVec3::new(0.0, 0.0, 100.0),
            vel: DVec3::new(0.0, 0.0, 0.0),
        };
        let b = Track {
            pos: DVec3::new(10.0, 0.0, 115.0),
            vel: DVec3::new(0.0, 0.0, 0.0),
        };
        assert!(
            encounter_interval(&P, &a, &b).is_none(),
            "exactly 15 m apart is separated"
        );
        let c = Track {
            pos: DVec3::new(10.0, 0.0, 130.0),
            vel: DVec3::new(0.0, 0.0, -1.0),
        };
        let (t_in, t_out) = encounter_interval(&P, &a, &c).unwrap();
        assert!((t_in - 15.0).abs() < 1e-9 && (t_out - 45.0).abs() < 1e-9);
    }
}
