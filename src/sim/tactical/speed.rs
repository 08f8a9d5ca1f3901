//! Speed resolution: the follower of two drones in trail slows to follow the leader at
//! the horizontal minimum plus 10 m. Crossings are left alone (slowing one drone may only
//! move the meeting point).

use super::{Conflict, Order, Resolution};

/// Slow the follower in trail.
pub struct Speed;

impl Resolution for Speed {
    fn resolve(&self, c: &Conflict, order: &mut Order) {
        if c.same_way && c.behind {
            order.limit(c.slow(true));
        }
    }
}
