//! Strategic bookings kept true in flight: with strategic deconfliction on, the reservation
//! table travels with the simulation, and every 10 simulated seconds a drone more than
//! `replan_after_s` behind its cleared 4D plan is re-timed from where it is, its bookings
//! (lane entries, pads, gates) moved to the new times. Times in seconds.
//!
//! Owns: the reservation table, each flight's booked departure, the re-plan counters.

use std::collections::BTreeMap;

use super::Fleet;
use super::flight::{Airborne, Dynamics};
use crate::ids::FlightId;
use crate::network::Network;
use crate::planner::Plan;
use crate::planner::strategic::{PlanUses, Reservations, lane_spans};

/// The reservation table and what each flight is booked for.
#[derive(Debug, Clone)]
pub struct Bookings {
    table: Reservations,
    /// Per flight, the departure time its current booking is for.
    booked_s: Vec<f64>,
    replans: u64,
    headway_breaches: u64,
    /// Flights late on their stand whose bookings are withdrawn until they take off.
    withdrawn: Vec<bool>,
    /// Flights tactical resolution has moved off their plan at some time.
    manoeuvred: Vec<bool>,
    /// Flights diverted from the air: booked with their diversion, not re-planned.
    diverted: Vec<bool>,
    /// The diversion each diverted flight is booked with (what a second lost-link
    /// episode withdraws).
    diversions: BTreeMap<FlightId, Plan>,
    /// When bookings behind the clock are forgotten ([`Bookings::forget_past_with`]):
    /// the margin, seconds.
    forget_margin_s: Option<f64>,
}

impl Bookings {
    /// The bookings of cleared `flights` over `plans`, each with `buffer_s` (see
    /// `deconfliction.buffer_s`).
    pub fn new(net: &Network, fleet: &Fleet, buffer_s: f64) -> Self {
        let table = Reservations::of(net, fleet.plans(), fleet.flights(), buffer_s);
        Bookings::with_table(table, fleet)
    }

    /// The bookings of `fleet`'s cleared flights, already made in `table` (the table
    /// they were cleared with: building it again from the plans takes seconds at region
    /// scale).
    pub fn with_table(table: Reservations, fleet: &Fleet) -> Self {
        Bookings {
            table,
            booked_s: fleet.flights().iter().map(|f| f.departure_s).collect(),
            replans: 0,
            headway_breaches: 0,
            withdrawn: vec![false; fleet.flights().len()],
            manoeuvred: vec![false; fleet.flights().len()],
            diverted: vec![false; fleet.flights().len()],
            diversions: BTreeMap::new(),
            forget_margin_s: None,
        }
    }

    /// From now on [`Bookings::forget_past`] forgets the bookings no check can meet any
    /// more, with `margin_s` (see [`Reservations::forget_behind`]).
    pub(crate) fn forget_past_with(&mut self, margin_s: f64) {
        self.forget_margin_s = Some(margin_s);
    }

    /// Forgets, if asked to ([`Bookings::forget_past_with`]), the bookings no check made
    /// at `now` or later can meet; returns how many.
    pub(crate) fn forget_past(&mut self, now: f64) -> usize {
        self.forget_margin_s
            .map_or(0, |m| self.table.forget_behind(now, m))
    }

    /// The reservation table as it stands.
    pub fn table(&self) -> &Reservations {
        &self.table
    }

    /// The departure time a flight's current booking is for.
    pub fn booked_departure(&self, flight: FlightId) -> f64 {
        self.booked_s[flight.index()]
    }

    /// How far behind its booking a flight flying `d` is at time `now`, seconds.
    fn late_s(&self, f: FlightId, now: f64, d: &Dynamics, fleet: &Fleet) -> f64 {
        now - (self.booked_s[f.index()] + fleet.plan(f).planned_time_at(d.motion.s))
    }

    /// Notes the drones tactical resolution or a lost-link contingency has off their
    /// plans now (they stay off the book for the rest of their flight).
    pub(crate) fn note_manoeuvres(&mut self, airborne: &[Airborne]) {
        // Read on every core (a pass over every drone in the air, each step); the few
        // found are noted after.
        let off = super::drones_where(airborne, |_, a| {
            (a.d.manoeuvring() || a.d.offset_m != 0.0 || a.d.off_plan_by_contingency())
                .then_some(a.flight.index())
        });
        for f in off {
            self.manoeuvred[f] = true;
        }
    }

    /// Whether drone `a`, in a world with no disturbance (the actual wind the forecast,
    /// no gusts, no schedule noise), flies its booking exactly: no navigation error, never
    /// manoeuvred, never stopped or diverted by a lost-link contingency, its booking not
    /// withdrawn, never re-booked into another booking's way. Two drones that both do are kept apart by
    /// the bookings (the soundness invariant, `tests/it/sound.rs`), so tactical
    /// resolution leaves such a pair alone.
    pub(crate) fn on_book(&self, a: &Airborne) -> bool {
        let f = a.flight.index();
        !self.withdrawn[f]
            && !self.manoeuvred[f]
            && !a.d.off_plan_by_contingency()
            && a.d.nav_m == [0.0; 3]
    }

    /// Lets the table (and the diversions booked) go, its counters kept: see
    /// [`crate::sim::Simulation::release_reservations`].
    pub fn release_table(&mut self) {
        self.table = Reservations::default();
        self.diversions = BTreeMap::new();
    }

    /// In-flight re-plans so far.
    pub fn replans(&self) -> u64 {
        self.replans
    }

    /// Re-booked lane entries that came closer than the headway to another booking: how
    /// far deviations erode the strategic plan.
    pub fn headway_breaches(&self) -> u64 {
        self.headway_breaches
    }

    /// Whether flight `f`, later than its booked departure on its stand at `t`, may take
    /// off now: its FATO, the FATO's leg, the departure fan and its departure connector
    /// are free of every other booking (see [`Reservations::departure_free`]). Its own booking is
    /// withdrawn while it waits (it holds a slot it can no longer fly); when it goes, its
    /// plan is booked from `t` as an in-flight re-plan would (a re-plan if it is more
    /// than `limit_s` late). Without this, late departures released at once from
    /// different FATOs would share the connector and fly the same path together.
    pub(crate) fn release_late(
        &mut self,
        f: FlightId,
        t: f64,
        limit_s: f64,
        fleet: &Fleet,
        net: &Network,
    ) -> bool {
        let plan = fleet.cleared_plan(f);
        let i = f.index();
        if !self.withdrawn[i] {
            self.table.unbook(net, plan, self.booked_s[i]);
            self.withdrawn[i] = true;
        }
        let uses = PlanUses::of(net, plan, &self.table);
        let free = self.table.departure_free(&uses, t, plan.fato[0]);
        if !free {
            return false;
        }
        // Beyond its departure the new booking may meet others (at a junction, a
        // crossing, a lane's headway): then the bookings no longer keep it apart, and it
        // is off the book (tactical resolution watches it).
        if !self.table.fits_uses(&uses, t) {
            self.manoeuvred[i] = true;
        }
        self.rebook(f, t, limit_s, fleet, net);
        self.withdrawn[i] = false;
        true
    }

    /// Books `f`'s cleared plan departing at `new` (its old booking already removed),
    /// counting the re-plan (when more than `limit_s` late) and its headway breaches.
    fn rebook(&mut self, f: FlightId, new: f64, limit_s: f64, fleet: &Fleet, net: &Network) {
        let plan = fleet.cleared_plan(f);
        for (l, e, x) in lane_spans(plan) {
            let h = net.booked_headway_s(l);
            if !self.table.lane_free(l, new + e, new + x, h) {
                self.headway_breaches += 1;
                self.manoeuvred[f.index()] = true;
            }
        }
        self.table.book(net, plan, new);
        if new - self.booked_s[f.index()] > limit_s {
            self.replans += 1;
        }
        self.booked_s[f.index()] = new;
    }

    /// Flight `f` leaves its booking for good (a lost-link contingency takes it off
    /// its plan): the booking is withdrawn, and it is neither re-planned nor on the book
    /// from now on.
    pub(crate) fn withdraw(&mut self, f: FlightId, fleet: &Fleet, net: &Network) {
        let i = f.index();
        if !self.withdrawn[i] {
            let booked = self
                .diversions
                .get(&f)
                .unwrap_or_else(|| fleet.cleared_plan(f));
            self.table.unbook(net, booked, self.booked_s[i]);
            self.withdrawn[i] = true;
        }
        self.manoeuvred[i] = true;
        self.diverted[i] = true;
    }

    /// Books withdrawn flight `f`'s `diversion`, flown from path distance `s` at time
    /// `now` (counting headway breaches ahead of `now`).
    pub(crate) fn book_diversion(
        &mut self,
        f: FlightId,
        (now, s): (f64, f64),
        diversion: &Plan,
        net: &Network,
    ) {
        let i = f.index();
        let dep = now - diversion.planned_time_at(s);
        for (l, e, x) in lane_spans(diversion) {
            let h = net.booked_headway_s(l);
            if dep + e > now && !self.table.lane_free(l, dep + e, dep + x, h) {
                self.headway_breaches += 1;
            }
        }
        self.table.book(net, diversion, dep);
        self.diversions.insert(f, diversion.clone());
        self.booked_s[i] = dep;
        self.withdrawn[i] = false;
    }

    /// Re-times the plan of every drone more than `limit_s` behind it at time `now`, and
    /// moves its bookings to the new times.
    pub(crate) fn replan_late(
        &mut self,
        now: f64,
        limit_s: f64,
        airborne: &[Airborne],
        fleet: &Fleet,
        net: &Network,
    ) {
        // Who is late is found on every core (each drone's own booking and plan: a
        // cache miss or two per drone in the air); the few re-booked after, in order.
        let late = super::drones_where(airborne, |k, a| {
            if self.diverted[a.flight.index()] {
                return None;
            }
            let late = self.late_s(a.flight, now, &a.d, fleet);
            (late > limit_s).then_some((k, late))
        });
        for (k, late) in late {
            let a = &airborne[k];
            let f = a.flight.index();
            let (old, new) = (self.booked_s[f], self.booked_s[f] + late);
            // Booked with the cleared plan (its FATO variants differ by seconds).
            let plan = fleet.cleared_plan(a.flight);
            self.table.unbook(net, plan, old);
            for (l, e, x) in lane_spans(plan) {
                let h = net.booked_headway_s(l);
                if new + e > now && !self.table.lane_free(l, new + e, new + x, h) {
                    self.headway_breaches += 1;
                    self.manoeuvred[f] = true;
                }
            }
            self.table.book(net, plan, new);
            self.booked_s[f] = new;
            self.replans += 1;
        }
    }
}
