//! Diversion from the air, for the lost-link contingency `LandNearest`
//! ([`crate::scenario::Contingency`]): a drone flies its plan on to the end of the lane it
//! is on, then the quickest lanes from there to the vertiport with a FATO free now that
//! is nearest in flight time, and lands there (that terminal area handles it like any
//! arrival). With strategic deconfliction its booking moves to the diversion, whose FATO
//! and stand are free in the bookings.
//!
//! Owns nothing: it reads the network and the terminal areas and hands the new plan to
//! the fleet (and the bookings).

use petgraph::algo::dijkstra;
use petgraph::graph::NodeIndex;

use super::Fleet;
use super::flight::Airborne;
use super::replan::Bookings;
use super::terminal::Terminals;
use crate::ids::NodeId;
use crate::network::Network;
use crate::planner::strategic::PlanUses;
use crate::planner::{Plan, build_plan, route_from};

/// Vertiports tried, nearest first.
const CANDIDATES: usize = 16;

/// Where a diversion goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Diversion {
    /// The vertiport it lands at.
    pub to: NodeId,
    /// With strategic deconfliction, whether its booking fits the others from the
    /// moment it diverts (its lanes, junctions, crossings, gates and approach fan, as a
    /// cleared plan's do): `false` when none of the candidates' did and it took the
    /// nearest with a landing free, into another booking's way. `None` without.
    pub clear: Option<bool>,
}

/// Diverts drone `a` at time `t` (step `dt`): returns where it now flies to, or
/// `None` when it cannot divert (on no corridor lane: climbing off or descending onto a
/// FATO; or none of the 16 vertiports nearest in flight time has a FATO free), and its
/// plan is unchanged. A FATO is free when no drone holds it now. With strategic
/// deconfliction, when no booking takes it over the diversion's landing and a stand is
/// free for its turnaround; the nearest whose whole diversion from now on fits the
/// bookings is taken (as the ground, knowing the contingency, keeps it clear while the
/// link holds), else the nearest with a landing free; the diversion is then booked:
/// what the strategic layer must absorb.
pub(crate) fn divert(
    a: &Airborne,
    (t, dt): (f64, f64),
    (fleet, net): (&mut Fleet, &Network),
    terminals: &Terminals,
    mut bookings: Option<&mut Bookings>,
) -> Option<Diversion> {
    let plan = fleet.plan(a.flight);
    let k = a.d.motion.seg as usize;
    let lane = plan.path.segs[k].lane?;
    let i = plan.lanes.iter().position(|&l| l == lane)?;
    let junction = net.lanes[lane].to;
    let ty = fleet.drone_type(a.flight);
    let speed = |l: usize| net.lanes[l].speed_limit_mps.min(ty.cruise_speed_mps);
    // Flight time along lanes from the junction to every node.
    let time = dijkstra(&net.graph, NodeIndex::new(junction.index()), None, |e| {
        let l = e.weight().index();
        net.lanes[l].length_m / speed(l)
    });
    let mut near: Vec<(f64, usize)> = net
        .terminals
        .iter()
        .enumerate()
        .filter_map(|(ti, term)| Some((*time.get(&NodeIndex::new(term.fix.index()))?, ti)))
        .collect();
    near.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
    if let Some(b) = bookings.as_deref_mut() {
        b.withdraw(a.flight, fleet, net);
    }
    let s = a.d.motion.s;
    // The path up to the end of its lane must be its plan's: it keeps its place.
    let keeps_place = |d: &Plan| {
        (0..=k).all(|j| {
            let (g, h) = (&plan.path.segs[j], d.path.segs.get(j));
            h.is_some_and(|h| h.start == g.start && h.dir == g.dir)
                && d.path.cum.get(j + 1) == Some(&plan.path.cum[j + 1])
        })
    };
    // With bookings, the nearest whose diversion fits them from now on (its lanes,
    // junctions, gates, approach fan); failing that, the nearest with a FATO free.
    let mut found: Option<(NodeId, Plan)> = None;
    let mut landing: Option<(NodeId, Plan)> = None;
    for &(_, ti) in near.iter().take(CANDIDATES) {
        let to = net.terminals[ti].node;
        let Some(rest) = route_from(net, junction, to, ty) else {
            continue;
        };
        let lanes: Vec<_> = plan.lanes[..=i].iter().copied().chain(rest).collect();
        let build = |fato: u8| {
            build_plan(
                net,
                lanes.clone(),
                plan.drone_type,
                ty,
                dt,
                [plan.fato[0], fato],
            )
        };
        let (fato, fits) = match bookings.as_deref() {
            None => (terminals.free_fato(ti, t), true),
            Some(b) => {
                let d = build(0);
                let table = b.table();
                let uses = PlanUses::of(net, &d, table);
                let dep = t - d.planned_time_at(s);
                (
                    table.free_landing(&uses, dep),
                    table.fits_after(&uses, dep, t),
                )
            }
        };
        let Some(fato) = fato else { continue };
        let d = build(fato);
        if !keeps_place(&d) {
            continue;
        }
        if fits {
            found = Some((to, d));
            break;
        }
        landing = landing.or(Some((to, d)));
    }
    let clear = found.is_some();
    let (to, diversion) = found.or(landing)?;
    let clear = bookings.map(|b| {
        b.book_diversion(a.flight, (t, s), &diversion, net);
        clear
    });
    fleet.divert(net, a.flight, diversion);
    Some(Diversion { to, clear })
}
