//! Typed indices: a flight, a plan, a lane, a node are each their own `u32` newtype, so
//! one cannot be passed where another is meant, and `Option<LaneId>` says "no lane"
//! where a `u32::MAX` sentinel used to.
//!
//! Each id is the position of its element in the vector that holds it (`Simulation`'s
//! flights and plans, `Network`'s lanes and nodes), in scenario or departure order, so
//! ids are stable across runs. The vectors stay plain `Vec`s (the hot loop wants their
//! compact layout); `vec[id]` works through the `Index` impls below, and `usize` indexing
//! keeps working for code that enumerates.

use std::fmt;
use std::ops::{Index, IndexMut};

use serde::Serialize;

use crate::network::{Lane, NetJurisdiction, NetNode};
use crate::planner::{Flight, Plan};
use crate::scenario::DroneType;
use crate::sim::FlightState;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub u32);

        impl $name {
            /// The id of the element at position `i`.
            pub fn new(i: usize) -> Self {
                debug_assert!(i <= u32::MAX as usize, concat!($what, " index overflows u32"));
                Self(i as u32)
            }
            /// Its position in the vector that holds it.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($what, " #{}"), self.0)
            }
        }
    };
}

/// Indexes a `Vec` and a slice of `$elem` by `$id`.
macro_rules! index_by {
    ($id:ident => $elem:ty) => {
        index_by!(@one $id => $elem, Vec<$elem>);
        index_by!(@one $id => $elem, [$elem]);
    };
    (@one $id:ident => $elem:ty, $container:ty) => {
        impl Index<$id> for $container {
            type Output = $elem;
            fn index(&self, id: $id) -> &$elem {
                &self[id.index()]
            }
        }
        impl IndexMut<$id> for $container {
            fn index_mut(&mut self, id: $id) -> &mut $elem {
                &mut self[id.index()]
            }
        }
    };
}

typed_id!(
    /// A flight: its position in the simulation's flights (departure order).
    FlightId,
    "flight"
);
typed_id!(
    /// A plan (route and 4D profile shared by flights): its position in the plans.
    PlanId,
    "plan"
);
typed_id!(
    /// A lane (one direction of a corridor at one level): its position in the network's
    /// lanes.
    LaneId,
    "lane"
);
typed_id!(
    /// A node (vertiport, waypoint or gate): its position in the network's nodes
    /// (scenario order).
    NodeId,
    "node"
);

typed_id!(
    /// A drone type: its position in the scenario's drone types.
    DroneTypeId,
    "drone type"
);
typed_id!(
    /// A jurisdiction: its position in the network's (and the scenario's) jurisdictions.
    JurisdictionId,
    "jurisdiction"
);

index_by!(FlightId => Flight);
index_by!(FlightId => FlightState);
index_by!(PlanId => Plan);
index_by!(LaneId => Lane);
index_by!(NodeId => NetNode);
index_by!(DroneTypeId => DroneType);
index_by!(JurisdictionId => NetJurisdiction);
